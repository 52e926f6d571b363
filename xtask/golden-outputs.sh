#!/bin/bash
# Every output of a kubeward binary on the examples and a corpus, for byte-for-byte comparison
# of two builds (refactors must not change an output):
#   xtask/golden-outputs.sh OLD_BINARY /tmp/before [CORPUS]
#   xtask/golden-outputs.sh NEW_BINARY /tmp/after  [CORPUS]
#   diff -r /tmp/before /tmp/after
# CORPUS defaults to /tmp/c10k (`cargo run --release -p xtask -- gen-corpus --objects 10000 --out /tmp/c10k`).
set -u
BIN=$(realpath "$1"); OUT=$2; CORPUS=${3:-/tmp/c10k}
rm -rf "$OUT"; mkdir -p "$OUT"
cd "$(dirname "$0")/.."
EX=examples
for f in text json sarif junit summary html policyreport; do
  for e in insecure-app hardened-app; do
    "$BIN" scan $EX/$e --format $f --no-config --fail-on none > "$OUT/$e.$f" 2> "$OUT/$e.$f.err"; echo "rc=$?" >> "$OUT/$e.$f.err"
  done
  if [ -d "$CORPUS" ]; then
    "$BIN" scan "$CORPUS" --format $f --no-config --fail-on none > "$OUT/corpus.$f" 2> "$OUT/corpus.$f.err"; echo "rc=$?" >> "$OUT/corpus.$f.err"
  fi
done
"$BIN" scan $EX/insecure-app --format json --fail-on none > "$OUT/insecure-config.json" 2>&1
"$BIN" scan $EX/insecure-app --format json --no-config --fail-on none --threads 1 > "$OUT/insecure-1t.json" 2>&1
"$BIN" rules > "$OUT/rules.txt" 2>&1
"$BIN" rules --format json > "$OUT/rules.json" 2>&1
for r in KW-PSS-003 KW-RBAC-004 KW-NET-101 KW-CTR-005; do "$BIN" explain $r > "$OUT/explain-$r.txt" 2>&1; done
"$BIN" netpol connections $EX/insecure-app > "$OUT/netpol-conn.txt" 2>&1
"$BIN" netpol exposure $EX/insecure-app > "$OUT/netpol-exp.txt" 2>&1
"$BIN" rbac who-can get secrets $EX/insecure-app > "$OUT/rbac-whocan.txt" 2>&1
"$BIN" paths $EX/insecure-app > "$OUT/paths.txt" 2>&1
echo "outputs in $OUT"
