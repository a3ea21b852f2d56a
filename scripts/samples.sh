#!/usr/bin/env bash
# Shows `forewarn decode --stats` on the real samples in ../shared/samples: Panther's test events
# unwrapped into one file per log type, the fail2ban and Wazuh sshd lines, all in one directory
# so that format detection has to tell them apart. Nothing is copied into the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
samples="${FOREWARN_SAMPLES:-$(cd .. && pwd)/shared/samples}"
forewarn="${FOREWARN:-cargo run --quiet --locked --}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

python3 - "$samples" "$work" <<'PY'
import json, pathlib, sys
samples, work = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
read = {"Okta.SystemLog", "GSuite.ActivityEvent", "AWS.CloudTrail", "Auth0.Events", "Azure.Audit",
        "Microsoft365.Audit.Exchange", "Microsoft365.Audit.AzureActiveDirectory"}
out = {}
for line in (samples / "panther/panther-identity-tests.jsonl").open():
    case = json.loads(line)
    if case["log_type"] in read:
        out.setdefault(case["log_type"], []).append(json.dumps(case["event"]))
for log_type, events in out.items():
    (work / f"panther-{log_type}.jsonl").write_text("\n".join(events) + "\n")
syslog, journal = [], []
for case in map(json.loads, (samples / "sshd/fail2ban-sshd-labelled.jsonl").open()):
    if case["source_file"].endswith("-journal"):
        # fail2ban's journal test lines are `host program[pid]: message` with no time of their
        # own: give them back the journald record they came from, with a fixed time.
        host, _, rest = case["log_line"].partition(" ")
        tag, _, message = rest.partition(": ")
        program, _, pid = tag.partition("[")
        journal.append(json.dumps({"__REALTIME_TIMESTAMP": "1705312800000000", "_HOSTNAME": host,
                                   "SYSLOG_IDENTIFIER": program, "_PID": pid.rstrip("]"),
                                   "MESSAGE": message}))
    else:
        syslog.append(case["log_line"])
(work / "fail2ban-sshd.log").write_text("\n".join(syslog) + "\n")
(work / "fail2ban-sshd-journal.jsonl").write_text("\n".join(journal) + "\n")
wazuh = [l for c in map(json.loads, (samples / "sshd/wazuh-sshd-labelled.jsonl").open()) for l in c["log_lines"]]
(work / "wazuh-sshd-cases.log").write_text("\n".join(wazuh) + "\n")
PY
cp "$samples/sshd/wazuh/log-entries-sshd.log" "$work/wazuh-brute-force.log"

# Panther's events are partial test fixtures: some lack the timestamp their rules never read,
# and those are rightly rejected with `missing field`.
$forewarn decode --stats "$work"
