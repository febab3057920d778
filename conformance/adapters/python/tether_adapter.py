#!/usr/bin/python3
"""A Tether v1 client in Python on paho-mqtt (Debian's python3-paho-mqtt), driven by the conformance
suite's adapter protocol (conformance/ADAPTER.md): JSON ops on stdin, JSON events on stdout.

It is a small but complete client: stable client id with a persistent session, handler attached before
CONNECT, subscriptions on every connection, commands kept and resent until answered, the resume
algorithm (history after lastSeq, page after page, live events buffered meanwhile), gap filling, reset
snapshots, epoch rules for host states, and local checks of answers and payload sizes.

Run: /usr/bin/python3 conformance/adapters/python/tether_adapter.py  (environment as in ADAPTER.md)
"""
import json
import os
import random
import secrets
import sys
import threading
import time
from urllib.parse import urlparse

import paho.mqtt.client as mqtt

GAP_WAIT = 0.3
RETRY_AFTER = 10.0
# The protocol's topic root: every topic below is built from it (protocol/constants.ts TOPIC_ROOT,
# spec/v1/topics.md); this adapter cannot import the TypeScript builders.
TOPIC_ROOT = "tether/v1"
# The generated JSON Schema of every event (schemas/v1, checked against the TypeBox source in CI).
EVENT_SCHEMA = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir, os.pardir, "schemas", "v1", "Event.schema.json")


def topic(*levels):
    return "/".join((TOPIC_ROOT,) + levels)


def known_event_fields(path):
    """Required data fields per event type of this version: enough to tell an event this client can interpret."""
    with open(path, encoding="utf-8") as fh:
        schema = json.load(fh)
    known = {}
    for branch in schema["anyOf"]:
        props = branch["properties"]
        known[props["type"]["const"]] = list(props["data"].get("required", []))
    return known


KNOWN_EVENTS = known_event_fields(EVENT_SCHEMA)

principal = os.environ.get("TETHER_PRINCIPAL", "anon")
device = os.environ.get("TETHER_DEVICE", "py")
password = os.environ.get("TETHER_PASSWORD") or None
state_dir = os.environ.get("TETHER_STATE_DIR", ".")
client_id = "%s.%s" % (principal, device)
reply_to = topic("replies", principal, client_id)

lock = threading.RLock()
out_lock = threading.Lock()


def emit(event):
    with out_lock:
        sys.stdout.write(json.dumps(event, separators=(",", ":")) + "\n")
        sys.stdout.flush()


def log(*parts):
    sys.stderr.write(" ".join(str(p) for p in parts) + "\n")
    sys.stderr.flush()


class Waiter:
    """A reply that someone waits for: set once, from the MQTT thread."""

    def __init__(self):
        self.event = threading.Event()
        self.value = None

    def set(self, value):
        self.value = value
        self.event.set()

    def wait(self, timeout=None):
        self.event.wait(timeout)
        return self.value


class Client:
    def __init__(self):
        self.counter = 0
        self.kept = {}  # id -> dict(sid, type, data, sent, waiter); insertion order = send order
        self.requests = {}  # id -> dict(payload, sent, waiter)
        self.sessions = {}
        self.hosts = {}
        self.schemas = {}
        self.max_payload = 65536
        self.connected = threading.Event()
        url = urlparse(os.environ["TETHER_URL"])
        self.host, self.port = url.hostname, url.port or 1883
        self.mqtt = mqtt.Client(client_id=client_id, clean_session=False, protocol=mqtt.MQTTv311)
        self.mqtt.username_pw_set(principal, password)
        # paho's own delay doubles without jitter; each next delay is set here instead [CLIENT-RECONNECT-2, -3].
        self.failures = 0
        self.started = False
        self.next_delay()
        # Handlers are attached before CONNECT goes out [MQTT-SESSION-2].
        self.mqtt.on_connect = self.on_connect
        self.mqtt.on_disconnect = self.on_disconnect
        self.mqtt.on_connect_fail = lambda client, userdata: self.next_delay()
        self.mqtt.on_message = self.on_message
        self.mqtt.on_subscribe = self.on_subscribe
        self.subacks = {}
        threading.Thread(target=self.retry_loop, daemon=True).start()

    # ------------------------------------------------------------ connection

    def next_delay(self):
        # 250 ms doubling to 15 s, drawn from [d/2, d] (equal jitter).
        d = min(15.0, 0.25 * 2 ** min(self.failures, 10))
        self.failures += 1
        d *= 1 - 0.5 * random.random()
        self.mqtt.reconnect_delay_set(min_delay=d, max_delay=d)

    def connect(self):
        # One connection per client id: a connect while connected or connecting joins it [CLIENT-RECONNECT-5].
        if not self.started:
            self.started = True
            self.mqtt.connect_async(self.host, self.port, keepalive=30)
            self.mqtt.loop_start()
        self.connected.wait(10)

    def on_connect(self, client, userdata, flags, rc):
        if rc != 0:
            log("connect refused", rc)
            return
        self.failures = 0
        # Subscribe on every connection, whatever session-present says [MQTT-SESSION-3].
        client.subscribe([(reply_to, 1), (topic("host", "+", "state"), 1), (topic("users", principal, "sessions", "+"), 1)])
        with lock:
            # Resend every kept command, in the order first sent [CLIENT-RETRY-2].
            for cid in list(self.kept):
                self.publish_command(cid)
            for rid, r in list(self.requests.items()):
                client.publish(topic("requests", principal), r["payload"], qos=1)
            followers = list(self.sessions.values())
        for f in followers:
            threading.Thread(target=self.resume, args=(f,), daemon=True).start()
        self.connected.set()

    def on_disconnect(self, client, userdata, rc):
        self.connected.clear()
        self.next_delay()
        with lock:
            # Buffer live events from now until the catch-up on the next connection ended [CLIENT-RESUME-9].
            for f in self.sessions.values():
                f["resuming"] = True

    def next_id(self, prefix="c"):
        with lock:
            self.counter += 1
            return "%s:%s%d:%s" % (client_id, prefix, self.counter, secrets.token_hex(3))

    # ------------------------------------------------------------ commands and requests

    def publish_command(self, cid):
        k = self.kept[cid]
        k["sent"] = time.time()
        payload = json.dumps({"v": 1, "id": cid, "type": k["type"], "replyTo": reply_to, "data": k["data"]})
        self.mqtt.publish(topic("sessions", k["sid"], "submit", principal), payload, qos=1)

    def command(self, sid, ctype, data, timeout=60):
        """Keeps the command until its ack, an error, or its own event [CLIENT-RETRY-1]."""
        cid = self.next_id()
        size = len(json.dumps({"v": 1, "id": cid, "type": ctype, "replyTo": reply_to, "data": data}).encode("utf-8"))
        if size > self.max_payload:
            # Never publish above the host's maxPayloadBytes [CLIENT-LIMIT-1].
            return {"type": "error", "data": {"code": "PAYLOAD_TOO_LARGE", "message": "%d bytes exceed %d" % (size, self.max_payload), "local": True}}
        waiter = Waiter()
        with lock:
            self.kept[cid] = {"sid": sid, "type": ctype, "data": data, "sent": 0, "waiter": waiter}
            if self.connected.is_set():
                self.publish_command(cid)
        return waiter.wait(timeout) or {"type": "error", "data": {"code": "TIMEOUT", "message": "no answer", "local": True}}

    def request(self, rtype, data, timeout=60):
        rid = self.next_id("r")
        payload = json.dumps({"v": 1, "id": rid, "type": rtype, "replyTo": reply_to, "data": data})
        waiter = Waiter()
        with lock:
            self.requests[rid] = {"payload": payload, "sent": time.time(), "waiter": waiter}
        if self.connected.is_set():
            self.mqtt.publish(topic("requests", principal), payload, qos=1)
        return waiter.wait(timeout) or {"type": "error", "data": {"code": "TIMEOUT", "message": "no answer", "local": True}}

    def on_reply(self, reply):
        re = str(reply.get("re"))
        with lock:
            k = self.kept.get(re)
            if k is not None:
                data = reply.get("data") or {}
                if reply.get("type") == "error" and data.get("code") == "RATE_LIMITED":
                    delay = (data.get("details") or {}).get("retryAfterMs", 1000) / 1000.0
                    threading.Timer(delay, lambda: self.resend_if_kept(re)).start()
                    return
                del self.kept[re]
                k["waiter"].set(reply)
                return
            r = self.requests.pop(re, None)
        if r is not None:
            r["waiter"].set(reply)
        # A reply matching nothing is a repeat: ignored [ENV-RE-2].

    def resend_if_kept(self, cid):
        with lock:
            if cid in self.kept and self.connected.is_set():
                self.publish_command(cid)

    def retry_loop(self):
        while True:
            time.sleep(1)
            now = time.time()
            with lock:
                if not self.connected.is_set():
                    continue
                for cid, k in list(self.kept.items()):
                    if now - k["sent"] > RETRY_AFTER:
                        self.publish_command(cid)
                for rid, r in list(self.requests.items()):
                    if now - r["sent"] > RETRY_AFTER:
                        # Resend with a new request id [CLIENT-RESUME-6].
                        msg = json.loads(r["payload"])
                        fresh = self.next_id("r")
                        msg["id"] = fresh
                        r["payload"] = json.dumps(msg)
                        r["sent"] = now
                        del self.requests[rid]
                        self.requests[fresh] = r
                        self.mqtt.publish(topic("requests", principal), r["payload"], qos=1)

    # ------------------------------------------------------------ incoming

    def on_message(self, client, userdata, msg):
        parts = msg.topic.split("/")
        if len(parts) == 6 and parts[2] == "users" and parts[4] == "sessions":
            self.on_index(parts[5], msg.payload)
            return
        if not msg.payload:
            return  # a cleared retained message is no value [TOPIC-EMPTY-1]
        try:
            body = json.loads(msg.payload.decode("utf-8"))
        except ValueError:
            return
        if not isinstance(body, dict):
            return
        parts = msg.topic.split("/")
        if msg.topic == reply_to:
            self.on_reply(body)
        elif len(parts) == 5 and parts[2] == "sessions" and parts[4] == "events":
            self.on_batch(parts[3], body)
        elif len(parts) == 5 and parts[2] == "sessions" and parts[4] == "state":
            self.on_state(parts[3], body)
        elif len(parts) == 5 and parts[2] == "host" and parts[4] == "state":
            self.on_host(body)

    def on_host(self, s):
        epoch, host_id, status = s.get("epoch"), s.get("hostId"), s.get("status")
        if not isinstance(epoch, int) or not isinstance(host_id, str):
            return
        with lock:
            h = self.hosts.get(host_id)
            if h and epoch < h["epoch"]:
                return  # stale [LIVE-EPOCH-2]
            if h and status != "offline" and h.get("offline") == epoch:
                return  # [LIVE-EPOCH-3]
            new_epoch = h is None or epoch > h["epoch"]
            self.hosts[host_id] = {"epoch": epoch, "status": status, "offline": epoch if status == "offline" else (h or {}).get("offline")}
            if status == "online" and isinstance((s.get("limits") or {}).get("maxPayloadBytes"), int):
                self.max_payload = s["limits"]["maxPayloadBytes"]
            changed = h is None or h["status"] != status or h["epoch"] != epoch
            if h and new_epoch and status == "online":
                # A new host epoch: resend every kept command [CLIENT-RETRY-3].
                for cid in list(self.kept):
                    self.publish_command(cid)
        if changed:
            emit({"event": "host", "hostId": host_id, "status": status, "epoch": epoch})

    # ------------------------------------------------------------ sessions

    def follow(self, sid, ref=None):
        with lock:
            f = self.sessions.get(sid)
            if f is None:
                f = {"sid": sid, "last": self.load_last(sid), "buffer": {}, "catching_up": False, "gap_timer": None, "ref": ref, "joined": False, "hint": 0,
                     "resuming": True, "pending": False}
                self.sessions[sid] = f
        if self.connected.is_set():
            self.resume(f)

    def last_file(self, sid):
        return os.path.join(state_dir, "%s.lastseq" % sid)

    def load_last(self, sid):
        try:
            with open(self.last_file(sid)) as fh:
                return int(fh.read().strip() or 0)
        except (OSError, ValueError):
            return 0

    def resume(self, f):
        # Subscribe before asking for history [CLIENT-RESUME-2].
        with lock:
            f["resuming"] = True
        waiter = Waiter()
        with lock:
            result, mid = self.mqtt.subscribe([(topic("sessions", f["sid"], "events"), 1), (topic("sessions", f["sid"], "state"), 1)])
            self.subacks[mid] = waiter
        granted = waiter.wait(5) if result == mqtt.MQTT_ERR_SUCCESS else None
        if not granted or 128 in granted:
            # A refusal, not a silent subscription [TOPIC-SUB-3]: retried when an index entry names the session [TOPIC-SUB-4].
            with lock:
                f["pending"] = True
            return
        with lock:
            f["pending"] = False
        self.catch_up(f)

    def on_subscribe(self, client, userdata, mid, granted):
        with lock:
            w = self.subacks.pop(mid, None)
        if w is not None:
            w.set(list(granted))

    def leave(self, f, why):
        """Stop following a session the principal no longer takes part in [CLIENT-LEAVE-1]."""
        with lock:
            if self.sessions.pop(f["sid"], None) is None:
                return
            if f["gap_timer"] is not None:
                f["gap_timer"].cancel()
        self.mqtt.unsubscribe([topic("sessions", f["sid"], "events"), topic("sessions", f["sid"], "state")])
        emit({"event": "left", "sid": f["sid"], "reason": why})

    def on_index(self, sid, payload):
        with lock:
            f = self.sessions.get(sid)
        if f is None:
            return
        if not payload:
            self.leave(f, "index entry cleared")
        elif f["pending"] and self.connected.is_set():
            threading.Thread(target=self.resume, args=(f,), daemon=True).start()

    def catch_up(self, f, to=None):
        """The resume algorithm: history after lastSeq while more, then the buffered live events."""
        with lock:
            if f["catching_up"]:
                return
            f["catching_up"] = True
        try:
            while True:
                data = {"sid": f["sid"], "after": f["last"]}
                if to is not None:
                    data["to"] = to
                page = self.request("history.get", data)
                if page.get("type") != "history.page":
                    code = (page.get("data") or {}).get("code")
                    if code in ("NOT_PARTICIPANT", "SESSION_NOT_FOUND"):
                        with lock:
                            f["catching_up"] = False
                        self.leave(f, code)
                        return
                    log("history.get refused", json.dumps(page))
                    break
                p = page["data"]
                if p.get("from") != f["last"] and not p.get("reset"):
                    # Not a page for where this session stands: discard it [CLIENT-RESUME-8].
                    log("stale page discarded", p.get("from"), f["last"])
                    break
                with lock:
                    if p["headSeq"] < f["last"]:
                        # The host lost events it had published: tell the application, start over [CLIENT-GAP-3].
                        emit({"event": "reset", "sid": f["sid"], "atSeq": 0, "reason": "host-lost-events"})
                        f["last"] = 0
                        f["buffer"].clear()
                        to = None
                        continue
                    if p.get("reset"):
                        emit({"event": "reset", "sid": f["sid"], "atSeq": p["reset"]["atSeq"], "state": p["reset"]["state"], "reason": "expired"})
                        f["last"] = p["reset"]["atSeq"]
                    for e in p["events"]:
                        if e["seq"] > f["last"]:
                            self.deliver(f, e)
                    f["last"] = max(f["last"], p["to"])
                if not p.get("more"):
                    break
        finally:
            with lock:
                f["catching_up"] = False
        with lock:
            if f["sid"] not in self.sessions:
                return
            f["resuming"] = False
        self.drain(f)
        if not f["joined"]:
            f["joined"] = True
            ev = {"event": "joined", "sid": f["sid"], "lastSeq": f["last"]}
            if f.get("ref") is not None:
                ev["ref"] = f["ref"]
            emit(ev)

    def valid_batch(self, sid, batch):
        """A batch is taken whole or not at all [CLIENT-BATCH-1]."""
        events = batch.get("events")
        if batch.get("v") != 1 or batch.get("sid") != sid or not isinstance(events, list) or not 1 <= len(events) <= 1000:
            return False
        prev = None
        for e in events:
            if not isinstance(e, dict) or e.get("sid") != sid or not isinstance(e.get("seq"), int) or isinstance(e.get("seq"), bool) or e["seq"] < 1:
                return False
            if not isinstance(e.get("type"), str) or not isinstance(e.get("data"), dict) or not isinstance(e.get("sender"), str) or not isinstance(e.get("time"), str):
                return False
            if prev is not None and e["seq"] != prev + 1:
                return False
            prev = e["seq"]
        return True

    def on_batch(self, sid, batch):
        with lock:
            f = self.sessions.get(sid)
            if f is None or not self.valid_batch(sid, batch):
                return
            for e in batch["events"]:
                if e["seq"] > f["last"]:
                    f["buffer"][e["seq"]] = e
            busy = f["catching_up"] or f["resuming"]
        if not busy:
            self.drain(f)

    def on_state(self, sid, state):
        with lock:
            f = self.sessions.get(sid)
            # headSeq beyond lastSeq with no event arriving is a gap [CLIENT-GAP-2]; never the head [CLIENT-STATE-1].
            if f is not None and isinstance(state.get("headSeq"), int) and state["headSeq"] > f["last"]:
                f["hint"] = max(f["hint"], state["headSeq"])
                self.arm_gap(f)

    def drain(self, f):
        with lock:
            for seq in sorted(f["buffer"]):
                if seq <= f["last"]:
                    del f["buffer"][seq]
            while f["last"] + 1 in f["buffer"]:
                e = f["buffer"].pop(f["last"] + 1)
                self.deliver(f, e)
            if f["buffer"]:
                self.arm_gap(f)

    def arm_gap(self, f):
        with lock:
            if f["gap_timer"] is not None or f["catching_up"]:
                return
            before = f["last"]

            def fire():
                with lock:
                    f["gap_timer"] = None
                    moved = f["catching_up"] or f["last"] != before
                    smallest = min(f["buffer"]) if f["buffer"] else None
                if moved:
                    self.drain(f)
                    with lock:
                        behind = f["hint"] > f["last"] and not f["buffer"]
                    if behind:
                        self.arm_gap(f)
                    return
                # After a short wait, ask for exactly the missing range [CLIENT-GAP-1].
                self.catch_up(f, smallest - 1 if smallest is not None else None)

            f["gap_timer"] = threading.Timer(GAP_WAIT, fire)
            f["gap_timer"].daemon = True
            f["gap_timer"].start()

    def understood(self, e):
        required = KNOWN_EVENTS.get(e.get("type"))
        data = e.get("data")
        if required is None or not isinstance(data, dict):
            return False
        if not all(k in data for k in required):
            return False
        if e["type"] in ("message", "message.completed") and (not isinstance(data["parts"], list) or not data["parts"]):
            return False
        return True

    def deliver(self, f, e):
        f["last"] = max(f["last"], e["seq"])
        try:
            os.makedirs(state_dir, exist_ok=True)
            with open(self.last_file(f["sid"]), "w") as fh:
                fh.write(str(f["last"]))
        except OSError:
            pass
        ev = {"event": "delivered", "sid": f["sid"], "seq": e["seq"], "type": e.get("type"), "sender": e.get("sender"), "data": e.get("data"), "understood": self.understood(e)}
        if "cid" in e:
            ev["cid"] = e["cid"]
        emit(ev)
        d = e.get("data") if isinstance(e.get("data"), dict) else {}
        # An own event confirms the command as an ack would [CLIENT-RETRY-1].
        if e.get("sender") == principal and e.get("cid") in self.kept:
            self.on_reply({"type": "ack", "re": e["cid"], "data": {"sid": f["sid"], "seq": e["seq"], "duplicate": False}})
        if e.get("type") == "message" and "parts" in d:
            emit({"event": "content", "sid": f["sid"], "msgId": d.get("msgId"), "parts": d["parts"]})
        elif e.get("type") == "message.completed" and "parts" in d:
            # The parts of message.completed replace the streamed text [CMD-STREAM-8].
            emit({"event": "content", "sid": f["sid"], "msgId": d.get("msgId"), "parts": d["parts"], "status": d.get("status")})
        elif e.get("type") == "input.requested" and isinstance(d.get("answerSchema"), dict):
            self.schemas[(f["sid"], d.get("requestId"))] = d["answerSchema"]
        elif e.get("type") == "input.resolved":
            emit({"event": "resolved", "sid": f["sid"], "requestId": d.get("requestId"), "outcome": d.get("outcome"), "value": d.get("value"), "by": d.get("by"), "decidedBy": d.get("decidedBy")})


def satisfies(schema, value):
    """The answerSchema keywords a client can check cheaply; anything else is left to the host."""
    t = schema.get("type")
    types = {"boolean": bool, "string": str, "object": dict, "array": list, "null": type(None)}
    if t == "boolean" and not isinstance(value, bool):
        return False
    if t in ("integer", "number"):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (t == "integer" and not float(value).is_integer()):
            return False
    elif t in types and not isinstance(value, types[t]):
        return False
    if "enum" in schema and value not in schema["enum"]:
        return False
    if isinstance(value, dict):
        for k in schema.get("required", []):
            if k not in value:
                return False
        for k, sub in (schema.get("properties") or {}).items():
            if k in value and isinstance(sub, dict) and not satisfies(sub, value[k]):
                return False
    return True


client = Client()


def handle(op):
    ref = {"ref": op["ref"]} if "ref" in op else {}
    name = op.get("op")

    def fail(reply):
        data = reply.get("data") or {}
        ev = {"event": "error", "op": name, "sid": op.get("sid"), "code": data.get("code", "UNKNOWN"), "message": data.get("message", "")}
        if data.get("local"):
            ev["local"] = True
        ev.update(ref)
        emit(ev)

    if name == "connect":
        client.connect()
        emit(dict({"event": "connected"}, **ref))
    elif name == "create":
        sid = op.get("sid") or "s-" + secrets.token_hex(16)
        data = {k: op[k] for k in ("title", "participants") if k in op}
        r = client.command(sid, "session.create", data)
        if r.get("type") == "ack":
            emit(dict({"event": "created", "sid": sid, "seq": r["data"]["seq"]}, **ref))
        else:
            fail(r)
    elif name == "join":
        client.follow(op["sid"], op.get("ref"))
    elif name == "send":
        r = client.command(op["sid"], "message.send", {"msgId": op["msgId"], "role": "user", "parts": [{"kind": "text", "text": op["text"]}]})
        if r.get("type") == "ack":
            emit(dict({"event": "sent", "sid": op["sid"], "msgId": op["msgId"], "seq": r["data"]["seq"]}, **ref))
        else:
            fail(r)
    elif name == "answer":
        schema = client.schemas.get((op["sid"], op["requestId"]))
        if schema is not None and not satisfies(schema, op.get("value")):
            # Check the answer before sending it [INPUT-CLIENT-2].
            fail({"data": {"code": "ANSWER_INVALID", "message": "the value does not satisfy the answerSchema", "local": True}})
            return
        r = client.command(op["sid"], "input.answer", {"requestId": op["requestId"], "value": op.get("value")})
        if r.get("type") == "ack":
            emit(dict({"event": "answered", "sid": op["sid"], "requestId": op["requestId"], "seq": r["data"]["seq"]}, **ref))
        else:
            fail(r)
    elif name == "close":
        client.mqtt.disconnect()
        client.mqtt.loop_stop()
        os._exit(0)
    else:
        emit(dict({"event": "error", "op": name, "code": "UNKNOWN_OP", "message": "unknown op %s" % name, "local": True}, **ref))


def main():
    emit({"event": "hello", "implementation": "tether python adapter (paho-mqtt %s)" % getattr(mqtt, "__version__", "?"), "profiles": ["client"], "features": []})
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            op = json.loads(line)
        except ValueError:
            log("bad op line", line)
            continue
        threading.Thread(target=lambda o=op: safe(handle, o), daemon=True).start()
    client.mqtt.disconnect()
    os._exit(0)


def safe(fn, op):
    try:
        fn(op)
    except Exception as err:  # report, never die on one op
        emit({"event": "error", "op": op.get("op"), "code": "ADAPTER", "message": repr(err), "local": True})


if __name__ == "__main__":
    main()
