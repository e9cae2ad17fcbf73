# 00-harness: the harness itself works (9p share, QMP hot-plug seen by the
# guest, configfs gadget over dummy_hcd). Independent of mediagate.ko.
scenario() {
	local d
	check results-share test -f /results/images.env
	check qmp-plug req plug-storage h0 data HARNESS00
	if wait_until 20 usb_by_serial HARNESS00; then
		d=$(usb_by_serial HARNESS00)
		ok plug-seen-in-guest
		expect plug-vid-pid "$(cat /sys/bus/usb/devices/$d/idVendor):$(cat /sys/bus/usb/devices/$d/idProduct)" 46f4:0001
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
