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
lines = [json.loads(l)["log_line"] for l in (samples / "sshd/fail2ban-sshd-labelled.jsonl").open()]
(work / "fail2ban-sshd.log").write_text("\n".join(lines) + "\n")
wazuh = [l for c in map(json.loads, (samples / "sshd/wazuh-sshd-labelled.jsonl").open()) for l in c["log_lines"]]
(work / "wazuh-sshd-cases.log").write_text("\n".join(wazuh) + "\n")
PY
cp "$samples/sshd/wazuh/log-entries-sshd.log" "$work/wazuh-brute-force.log"

# Panther's events are partial test fixtures: some lack the timestamp their rules never read,
# and those are rightly rejected with `missing field`.
$forewarn decode --stats "$work"
