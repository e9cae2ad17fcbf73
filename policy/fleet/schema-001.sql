-- mediagate central ledger, schema version 1 (PostgreSQL 12 or later).
--
-- Every desktop's mediagated (--audit-format json) logs its audit events as
-- "@cee: {...}"; the desktop's rsyslog forwards them (rsyslog/desktop.conf),
-- the central rsyslog parses them with mmjsonparse and inserts one row per
-- event into "ingest" with ompgsql (rsyslog/central.conf). A trigger files
-- each such row into hosts, media and events and keeps nothing in ingest.
--
-- Idempotent: an event is identified by (host, seq), the desktop's monotonic
-- sequence number; a re-sent event (RELP retransmission after an outage, a
-- replayed queue) is recognised and stored once. A row that cannot be parsed
-- goes to ingest_rejects with the error instead of stalling rsyslog.
--
-- Strings (serial, label, user, ...) are stored as the audit line has them:
-- escaped to printable ASCII (\\, \", \xNN). Times are Unix seconds.
--
-- Apply once, as the ledger's owner:  psql -v ON_ERROR_STOP=1 -f schema-001.sql
-- Later versions come as schema-002.sql ... each applied on top of the last.

BEGIN;

CREATE TABLE mg_schema (
	version integer PRIMARY KEY,
	applied timestamptz NOT NULL DEFAULT now()
);
INSERT INTO mg_schema (version) VALUES (1);

-- One row per desktop (the syslog host name of its messages). Written once:
-- a row updated for every event would serialise ingestion on it.
CREATE TABLE hosts (
	id serial PRIMARY KEY,
	name text NOT NULL UNIQUE,
	first_seen bigint NOT NULL
);

-- One row per medium ever seen anywhere, keyed by its USB identity; the same
-- columns as the desktop inventory's media table (daemon/src/inventory.c).
CREATE TABLE media (
	id bigserial PRIMARY KEY,
	vid integer NOT NULL,
	pid integer NOT NULL,
	serial text NOT NULL,
	manufacturer text,
	product text,
	first_seen bigint NOT NULL,
	last_seen bigint NOT NULL,
	last_host text,
	last_user text,
	mount_count bigint NOT NULL DEFAULT 0,
	last_verdict text,
	medium_id text,
	registered boolean NOT NULL DEFAULT false,
	media_kind text,
	luks_uuid text,
	fs_uuid text,
	fs_label text,
	UNIQUE (vid, pid, serial)
);
CREATE INDEX media_last_seen ON media (last_seen DESC);
CREATE INDEX media_luks_uuid ON media (luks_uuid);
CREATE INDEX media_medium_id ON media (medium_id);

-- Every event of every desktop; (host, seq) is the idempotency key.
CREATE TABLE events (
	id bigserial PRIMARY KEY,
	host integer NOT NULL REFERENCES hosts (id),
	seq bigint NOT NULL,
	time bigint NOT NULL,
	type text NOT NULL,
	medium bigint REFERENCES media (id),
	line text NOT NULL,
	received timestamptz NOT NULL DEFAULT now(),
	UNIQUE (host, seq)
);
CREATE INDEX events_medium ON events (medium, time);
CREATE INDEX events_time ON events (time);

-- What rsyslog inserts: the sending host and the parsed JSON document.
CREATE TABLE ingest (
	host text NOT NULL,
	doc text NOT NULL
);
CREATE TABLE ingest_rejects (
	received timestamptz NOT NULL DEFAULT now(),
	host text,
	doc text,
	error text
);

-- "0781" -> 1921
CREATE FUNCTION mg_hex(h text) RETURNS integer
LANGUAGE sql IMMUTABLE STRICT AS $$
	SELECT ('x' || lpad(h, 8, '0'))::bit(32)::integer
$$;

-- File one event document from @p_host. Returns false for an event already
-- stored (same host and seq), true otherwise.
CREATE FUNCTION mg_file_event(p_host text, d jsonb) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
	t bigint := (d->>'time')::bigint;
	s bigint := (d->>'seq')::bigint;
	ev text := d->>'event';
	ident text := d->>'id';
	h integer;
	m bigint;
	verdict boolean;
	mnt boolean;
	usr text;
BEGIN
	IF t IS NULL OR s IS NULL OR ev IS NULL OR d->>'line' IS NULL THEN
		RAISE EXCEPTION 'not a mediagate event: seq, time, event and line are required';
	END IF;
	SELECT id INTO h FROM hosts WHERE name = p_host;
	IF h IS NULL THEN
		INSERT INTO hosts (name, first_seen) VALUES (p_host, t)
		ON CONFLICT (name) DO NOTHING;
		SELECT id INTO h FROM hosts WHERE name = p_host;
	END IF;
	PERFORM 1 FROM events WHERE host = h AND seq = s;
	IF FOUND THEN
		RETURN false;
	END IF;

	IF ident ~ '^[0-9a-f]{4}:[0-9a-f]{4}$' AND ev IN ('verdict', 'mount', 'unmount', 'tamper') THEN
		verdict := ev = 'verdict';
		mnt := ev = 'mount';
		usr := CASE WHEN ev IN ('mount', 'unmount') THEN nullif(d->>'user', '') END;
		INSERT INTO media AS o (vid, pid, serial, manufacturer, product, first_seen, last_seen,
				       last_host, last_user, mount_count, last_verdict, medium_id,
				       registered, media_kind, luks_uuid, fs_uuid, fs_label)
		VALUES (mg_hex(split_part(ident, ':', 1)), mg_hex(split_part(ident, ':', 2)),
			coalesce(d->>'serial', ''), d->>'manufacturer', d->>'product', t, t, p_host, usr,
			CASE WHEN mnt THEN 1 ELSE 0 END,
			CASE WHEN verdict THEN d->>'verdict' END,
			CASE WHEN verdict THEN nullif(d->>'medium', '') END,
			verdict AND d->>'registered' = 'yes',
			CASE WHEN verdict THEN d->>'media' END,
			CASE WHEN verdict AND d->>'media' LIKE 'luks%' THEN d->>'uuid' END,
			CASE WHEN verdict AND d->>'media' NOT LIKE 'luks%' THEN d->>'uuid' END,
			CASE WHEN verdict AND d->>'media' NOT LIKE 'luks%' THEN d->>'label' END)
		ON CONFLICT (vid, pid, serial) DO UPDATE SET
			manufacturer = coalesce(excluded.manufacturer, o.manufacturer),
			product = coalesce(excluded.product, o.product),
			first_seen = least(o.first_seen, excluded.first_seen),
			last_seen = greatest(o.last_seen, excluded.last_seen),
			last_host = CASE WHEN excluded.last_seen >= o.last_seen
				THEN excluded.last_host ELSE o.last_host END,
			last_user = CASE WHEN excluded.last_seen >= o.last_seen
				THEN coalesce(excluded.last_user, o.last_user) ELSE o.last_user END,
			mount_count = o.mount_count + excluded.mount_count,
			last_verdict = coalesce(excluded.last_verdict, o.last_verdict),
			medium_id = CASE WHEN verdict THEN excluded.medium_id ELSE o.medium_id END,
			registered = CASE WHEN verdict THEN excluded.registered ELSE o.registered END,
			media_kind = coalesce(excluded.media_kind, o.media_kind),
			luks_uuid = CASE WHEN verdict THEN excluded.luks_uuid ELSE o.luks_uuid END,
			fs_uuid = CASE WHEN verdict THEN excluded.fs_uuid ELSE o.fs_uuid END,
			fs_label = CASE WHEN verdict THEN excluded.fs_label ELSE o.fs_label END
		RETURNING id INTO m;
	END IF;

	INSERT INTO events (host, seq, time, type, medium, line)
	VALUES (h, s, t, ev, m, d->>'line');
	RETURN true;
END
$$;

CREATE FUNCTION mg_ingest() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	BEGIN
		PERFORM mg_file_event(NEW.host, NEW.doc::jsonb);
	EXCEPTION WHEN others THEN
		INSERT INTO ingest_rejects (host, doc, error) VALUES (NEW.host, NEW.doc, SQLERRM);
	END;
	RETURN NULL;
END
$$;

CREATE TRIGGER ingest_file BEFORE INSERT ON ingest
	FOR EACH ROW EXECUTE FUNCTION mg_ingest();

COMMIT;
