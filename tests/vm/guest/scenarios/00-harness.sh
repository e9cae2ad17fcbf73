# 00-harness: the harness itself works (9p share, QMP hot-plug seen by the
# guest, configfs gadget over dummy_hcd), and, with mediagate.ko NOT loaded,
# the write commands the read-only scenarios expect to fail do succeed on a
# plain stick (positive control: a typo in an sg_raw line cannot pass as
# "refused").
scenario() {
	local d disk sg
	mg_loaded && rmmod mediagate
	check results-share test -f /results/images.env
	check qmp-plug req plug-storage h0 data HARNESS00
	if wait_until 20 usb_by_serial HARNESS00; then
		d=$(usb_by_serial HARNESS00)
		ok plug-seen-in-guest
		expect plug-vid-pid "$(cat /sys/bus/usb/devices/$d/idVendor):$(cat /sys/bus/usb/devices/$d/idProduct)" 46f4:0001
		if wait_until 20 disk_of "$d"; then
			disk=$(disk_of "$d")
			udevadm settle --timeout=10
			expect plain-read-checksum "$(dd if=/dev/$disk bs=1M 2>/dev/null | sha256sum | cut -d' ' -f1)" "$DATA_SHA"
			rw_checks plain "$disk"
			zero512
			sg=$(sg_of "$disk")
			check plain-sg-write10-passes timeout 30 sg_raw -s 512 -i /tmp/zero512 /dev/$sg 2a 00 00 00 08 00 00 00 01 00
			check plain-sgio-on-sd-write10-passes timeout 30 sg_raw -R -s 512 -i /tmp/zero512 /dev/$disk 2a 00 00 00 08 00 00 00 01 00
			check plain-sg-read10-passes timeout 30 sg_raw -R -r 512 /dev/$disk 28 00 00 00 00 00 00 00 01 00
			mkdir -p /mnt/h0
			if check plain-mount mount /dev/$disk /mnt/h0; then
				expect plain-mount-rw "$(awk -v d=/dev/$disk '$1 == d { split($4, o, ","); print o[1] }' /proc/mounts)" rw
				expect plain-file-checksum "$(sha256sum </mnt/h0/hello.bin | cut -d' ' -f1)" "$DATA_FILE_SHA"
				umount /mnt/h0
			fi
		else
			nok plain-disk "no /dev/sd* for a plain stick without the module"
		fi
	else
		nok plug-seen-in-guest "no usb device with serial HARNESS00 within 20 s"
	fi
	check qmp-unplug req unplug h0
	check unplug-seen-in-guest wait_until 10 eval '! usb_by_serial HARNESS00'
	check gadget-modules gadget_setup
	dd if=/dev/zero of=/tmp/h0g.img bs=1M count=4 2>/dev/null
	check gadget-create gadget_create h0g 1234 5678 HARNESSG0 ms /tmp/h0g.img
	check gadget-plug gadget_plug h0g
	if wait_until 20 usb_by_serial HARNESSG0; then
		d=$(usb_by_serial HARNESSG0)
		expect gadget-vid-pid "$(cat /sys/bus/usb/devices/$d/idVendor):$(cat /sys/bus/usb/devices/$d/idProduct)" 1234:5678
	else
		nok gadget-seen "no usb device with serial HARNESSG0 within 20 s"
	fi
	gadget_unplug h0g
	check gadget-unplug-seen wait_until 10 eval '! usb_by_serial HARNESSG0'
	gadget_remove h0g
	rm -f /tmp/h0g.img
}
