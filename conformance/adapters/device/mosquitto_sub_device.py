#!/usr/bin/python3
"""A constrained Tether device built from Debian's mosquitto_sub, for the conformance suite's device
profile (conformance/ADAPTER.md, "Devices"). mosquitto_sub is the MQTT 3.1.1 device: it subscribes to
the principal's notify topic and to the results of the sessions it shows (QoS 1, persistent session,
stable client id, subscriptions on every connection); this wrapper turns what it receives into
`shown` events, applying the device rules: payloads of up to 256 bytes, cleared retained messages are
no value, notification kinds it does not know are ignored, a result never replaces a newer one.
"""
import json
import os
import subprocess
import sys
import threading
from urllib.parse import urlparse

KNOWN_KINDS = {"session", "input", "result", "closed"}

url = urlparse(os.environ["TETHER_URL"])
principal = os.environ["TETHER_PRINCIPAL"]
device = os.environ.get("TETHER_DEVICE", "device")
password = os.environ.get("TETHER_PASSWORD") or None
sessions = [s for s in os.environ.get("TETHER_SESSIONS", "").split(",") if s]
shown_results = {}
shown_notes = set()
out = threading.Lock()


def emit(event):
    with out:
        sys.stdout.write(json.dumps(event, separators=(",", ":")) + "\n")
        sys.stdout.flush()


# stdbuf -oL: one line per message as it arrives (mosquitto_sub's stdout is a pipe here).
args = ["stdbuf", "-oL", "mosquitto_sub", "-h", url.hostname, "-p", str(url.port or 1883), "-V", "mqttv311", "-q", "1", "-c",
        "-i", "%s.%s" % (principal, device), "-u", principal, "-F", "%t|%x"]
if password:
    args += ["-P", password]
args += ["-t", "tether/v1/users/%s/notify" % principal]
for sid in sessions:
    args += ["-t", "tether/v1/results/%s" % sid]


def show(topic, payload):
    if not payload:
        return  # a cleared retained message is no value [TOPIC-EMPTY-1]
    try:
        body = json.loads(payload.decode("utf-8"))
    except ValueError:
        return
    if not isinstance(body, dict):
        return
    if topic.endswith("/notify"):
        if body.get("k") not in KNOWN_KINDS:
            return  # [DEVICE-KIND-1]
        key = (body.get("k"), body.get("sid"), body.get("seq"))
        if key in shown_notes:
            return  # no second alert for the same notification [DEVICE-DEDUP-1]
        shown_notes.add(key)
        emit({"event": "shown", "kind": "notification", "k": body["k"], "sid": body.get("sid"), "seq": body.get("seq"), "t": body.get("t")})
    elif topic.startswith("tether/v1/results/"):
        sid = topic.split("/")[3]
        seq = body.get("seq")
        if not isinstance(seq, int) or seq <= shown_results.get(sid, 0):
            return  # never replace a shown result by an older one [DEVICE-ORDER-1]
        shown_results[sid] = seq
        emit({"event": "shown", "kind": "result", "sid": sid, "seq": seq, "status": body.get("status"), "t": body.get("t")})


def main():
    emit({"event": "hello", "implementation": "mosquitto_sub device", "profiles": ["device"], "features": []})
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=sys.stderr, stdin=subprocess.DEVNULL)

    def read():
        for raw in proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            topic, _, hexpayload = line.partition("|")
            try:
                show(topic, bytes.fromhex(hexpayload))
            except ValueError:
                pass

    threading.Thread(target=read, daemon=True).start()
    for line in sys.stdin:
        try:
            op = json.loads(line)
        except ValueError:
            continue
        if op.get("op") == "close":
            break
    proc.terminate()
    proc.wait(timeout=5)


if __name__ == "__main__":
    main()
