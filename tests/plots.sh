#!/bin/sh
# scripts/plot on a small committed result (seed.ini, 3 variants, 1 and 2
# threads): every chart it draws is a non-empty PNG and SVG. Skipped (77),
# saying so, where gnuplot is not installed. Usage: plots.sh BIN SRC
set -u
bin=$1
src=$2
command -v gnuplot >/dev/null 2>&1 || { echo "SKIP: gnuplot is not installed"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
cp "$src/tests/data/seed-sample.csv" "$src/tests/data/seed-sample.meta" "$tmp/"
CONVBENCH=$bin "$src/scripts/plot" "$tmp/seed-sample.csv" >"$tmp/list.txt" 2>"$tmp/err.txt"
code=$?
[ $code -eq 0 ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAILED: scripts/plot exited $code: $(cat "$tmp/err.txt")"; }
for chart in gflops efficiency time-vs-macs roofline threads; do
    for format in png svg; do
        file=$tmp/seed-sample-$chart.$format
        if [ -s "$file" ] && [ "$(wc -c <"$file")" -gt 2000 ]; then
            passed=$((passed + 1))
        else
            failed=$((failed + 1)); echo "FAILED: $file missing or nearly empty"
        fi
    done
done
head -c 8 "$tmp/seed-sample-gflops.png" | od -c | grep -q 'P   N   G' && passed=$((passed + 1)) ||
    { failed=$((failed + 1)); echo "FAILED: gflops.png is not a PNG"; }
grep -q '<svg' "$tmp/seed-sample-roofline.svg" && passed=$((passed + 1)) ||
    { failed=$((failed + 1)); echo "FAILED: roofline.svg is not SVG"; }
# gnuplot's complaints are failures too (a chart with no data drawn)
if grep -qi 'warning\|error' "$tmp/err.txt"; then
    failed=$((failed + 1)); echo "FAILED: gnuplot said: $(head -n 3 "$tmp/err.txt")"
else
    passed=$((passed + 1))
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
