#!/bin/sh
# convbench --compare: the expected ratios on two small result files, and
# exit 2 on malformed, foreign or unrelated files. Usage: compare.sh BIN SRC
set -u
bin=$1
data=$2/tests/data
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAILED: $*"; }

"$bin" --compare "$data/compare-old.csv" "$data/compare-new.csv" >"$tmp/out.txt" 2>&1
[ $? -eq 0 ] && ok || bad "--compare exited $?"
# regular: 400 -> 200 us is 2x and beyond the noise; grouped unchanged;
# dilated 100 -> 90 us is 1.111x but inside its 20% noise
grep -Eq 'regular +naive +1 +400.0 +200.0 +2.000x \*$' "$tmp/out.txt" && ok || bad "regular row"
grep -Eq 'grouped +naive +1 +200.0 +200.0 +1.000x$' "$tmp/out.txt" && ok || bad "grouped row"
grep -Eq 'dilated +naive +1 +100.0 +90.0 +1.111x$' "$tmp/out.txt" && ok || bad "dilated row"
grep -q 'geometric mean over 3 rows: 1.305x; 1 beyond the noise' "$tmp/out.txt" && ok ||
    bad "geometric mean line: $(tail -n 1 "$tmp/out.txt")"

printf 'config,layer,variant\n"seed,regular,naive\n' >"$tmp/unterminated.csv"
printf 'config,layer\nseed,regular,naive\n' >"$tmp/ragged.csv"
printf 'a,b,c\n1,2,3\n' >"$tmp/foreign.csv"
head -n 1 "$data/compare-old.csv" >"$tmp/header-only.csv"
: >"$tmp/empty.csv"
for file in unterminated ragged foreign header-only empty; do
    "$bin" --compare "$data/compare-old.csv" "$tmp/$file.csv" >/dev/null 2>"$tmp/err.txt"
    code=$?
    [ $code -eq 2 ] && ok || bad "--compare with $file.csv exited $code, not 2"
    grep -q "$file.csv" "$tmp/err.txt" && ok || bad "the error for $file.csv does not name it"
done
# medians that are not plain positive decimals, a repeated row, and a
# device: each an error naming the file (and the record)
median_column=$(head -n 1 "$data/compare-old.csv" | tr ',' '\n' | grep -n '^time_median_us$' | cut -d: -f1)
for bad_median in inf 0x1p8 1e-310 nan -5; do
    awk -F, -v OFS=, -v c="$median_column" -v m="$bad_median" 'NR == 2 { $c = m } { print }' \
        "$data/compare-old.csv" >"$tmp/median.csv"
    "$bin" --compare "$tmp/median.csv" "$data/compare-new.csv" >/dev/null 2>"$tmp/err.txt"
    code=$?
    [ $code -eq 2 ] && ok || bad "--compare with median '$bad_median' exited $code, not 2"
    grep -qF "median.csv: record 2: time_median_us = '$bad_median' is not a positive decimal number" \
        "$tmp/err.txt" && ok || bad "median '$bad_median': $(cat "$tmp/err.txt")"
done
{ cat "$data/compare-new.csv"; sed -n 2p "$data/compare-new.csv"; } >"$tmp/repeated.csv"
"$bin" --compare "$data/compare-old.csv" "$tmp/repeated.csv" >/dev/null 2>"$tmp/err.txt"
code=$?
[ $code -eq 2 ] && ok || bad "--compare with a repeated row exited $code, not 2"
rows=$(wc -l <"$data/compare-new.csv")
grep -q "repeated.csv: record $((rows + 1)) repeats record 2 (config seed, layer regular, variant naive, threads 1)" \
    "$tmp/err.txt" && ok || bad "repeated row: $(cat "$tmp/err.txt")"
timeout 20 "$bin" --compare "$data/compare-old.csv" /dev/zero >/dev/null 2>"$tmp/err.txt"
code=$?
[ $code -eq 2 ] && ok || bad "--compare with /dev/zero exited $code, not 2"
grep -qF '/dev/zero: is a device, not a result file' "$tmp/err.txt" && ok ||
    bad "/dev/zero: $(cat "$tmp/err.txt")"
"$bin" --compare "$data/compare-old.csv" "$tmp/missing.csv" >/dev/null 2>&1
[ $? -eq 2 ] && ok || bad "--compare with a missing file"
"$bin" --compare "$data/compare-old.csv" >/dev/null 2>&1
[ $? -eq 2 ] && ok || bad "--compare with one file"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
