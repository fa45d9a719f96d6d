#!/bin/sh
# scripts/plot on a small committed result (seed.ini, 3 variants, 1 and 2
# threads): every chart it draws is a non-empty PNG and SVG; and a short run
# with its stdout in a file prints its summary before the chart paths.
# Skipped (77), saying so, where gnuplot is not installed. Usage: plots.sh BIN SRC
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
# draws NAME CHART WHAT: scripts/plot on $tmp/NAME.csv (with the sample's
# .meta) draws NAME-CHART.png, and gnuplot says nothing on the way
draws() {
    cp "$src/tests/data/seed-sample.meta" "$tmp/$1.meta"
    CONVBENCH=$bin "$src/scripts/plot" "$tmp/$1.csv" >/dev/null 2>"$tmp/$1-err.txt"
    if [ -s "$tmp/$1-$2.png" ] && ! grep -qi 'warning\|error\|undefined' "$tmp/$1-err.txt"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1)); echo "FAILED: $3: $(head -n 3 "$tmp/$1-err.txt")"
    fi
}
# a result with regular layers only: the other kinds' places stay empty,
# without gnuplot complaining that their labels do not fit
awk -F, 'NR == 1 || $3 == "regular"' "$src/tests/data/seed-sample.csv" >"$tmp/regular.csv"
draws regular efficiency "regular layers only"
# a result whose layers all run under 1 GFLOP/s (naive loops in a
# sanitizer build): the log axis reaches down to them
awk -F, -v OFS=, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "gflops") g = i; print; next }
    { $g = $g / 1000; print }' "$src/tests/data/seed-sample.csv" >"$tmp/slow.csv"
draws slow gflops "layers under 1 GFLOP/s"
# a result with one layer: a single MAC count on the log x axis
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "layer") l = i; print; next }
    NR == 2 { first = $l } $l == first' "$src/tests/data/seed-sample.csv" >"$tmp/one.csv"
draws one time-vs-macs "one layer"
# a batch sweep: the sample's rows at batch 1, and again at batch 4 taking
# twice the time, so every variant moves 2x the images per second at 4
awk -F, -v OFS=, 'NR == 1 { for (i = 1; i <= NF; i++) { if ($i == "batch") b = i;
        if ($i == "time_median_us") t = i } print; next }
    { print; $b = 4; if ($t != "") $t = 2 * $t; rows[NR] = $0 } END { for (r in rows) print rows[r] }' \
    "$src/tests/data/seed-sample.csv" >"$tmp/batches.csv"
draws batches batch "a batch sweep"
mkdir -p "$tmp/batch-data"
"$bin" --plot-data="$tmp/batch-data" "$tmp/batches.csv" 2>/dev/null
if awk 'NR == 2 { for (i = 2; i <= NF; i++) one[i] = $i } NR == 3 { for (i = 2; i <= NF; i++)
        if ($i == "NaN" || one[i] == "NaN" || $i / one[i] < 1.999 || $i / one[i] > 2.001) exit 1 }
        END { exit NR != 3 }' "$tmp/batch-data/batch.dat"; then
    passed=$((passed + 1))
else
    failed=$((failed + 1)); echo "FAILED: batch.dat is not 2x at batch 4: $(cat "$tmp/batch-data/batch.dat")"
fi
# rows in NHWC beside NCHW ones, on the two layers of the sample that chain
# (separable_dw's 6 channels into separable_pw): the layouts chart
awk -F, -v OFS=, 'NR == 1 { print $0, "layout_in", "layout_out", "reorder_in_us", "reorder_out_us"; next }
    $2 != "separable_dw" && $2 != "separable_pw" { next }
    { if ($28 == "im2col-gemm") print $0, "nhwc", "nhwc", "5", "7"; else print $0, "nchw", "nchw", "", "" }' \
    "$src/tests/data/seed-sample.csv" >"$tmp/layouts.csv"
draws layouts layouts "rows in two layouts"
# a run with stdout in a file: the summary comes whole, then the chart
# paths, each on its own line
"$bin" -q -t 1 -v naive --min-time 0.001 --reps 1 -o "$tmp/run.csv" "$src/configs/seed.ini" \
    >"$tmp/run.txt" 2>"$tmp/run-err.txt"
summary_end=$(grep -n 'results in' "$tmp/run.txt" | head -n 1 | cut -d: -f1)
first_chart=$(grep -n '\.png' "$tmp/run.txt" | head -n 1 | cut -d: -f1)
if [ -n "$summary_end" ] && [ -n "$first_chart" ] && [ "$summary_end" -lt "$first_chart" ] &&
    [ -z "$(grep '\.png' "$tmp/run.txt" | grep -v "^$tmp/run-")" ]; then
    passed=$((passed + 1))
else
    failed=$((failed + 1)); echo "FAILED: chart paths not after the summary, each on its own line: $(grep '\.png' "$tmp/run.txt" | head -n 3)"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
