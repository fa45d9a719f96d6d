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
"$bin" --compare "$data/compare-old.csv" "$tmp/missing.csv" >/dev/null 2>&1
[ $? -eq 2 ] && ok || bad "--compare with a missing file"
"$bin" --compare "$data/compare-old.csv" >/dev/null 2>&1
[ $? -eq 2 ] && ok || bad "--compare with one file"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
