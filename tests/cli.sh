#!/bin/sh
# The command line end to end: exit codes, the CSV and .meta it writes, and
# that a failed run leaves no result and never touches an earlier one.
# Usage: cli.sh PATH/TO/convbench SOURCE_ROOT
. "$(dirname "$0")/lib.sh"

header='config,layer,kind,block,repeat,batch,c_in,h_in,w_in,c_out,h_out,w_out,kernel_h,kernel_w,stride_h,stride_w,pad_h,pad_w,dilation_h,dilation_w,groups,bias,params,macs,macs_nopad,flops,bytes,variant,threads,reps,time_min_us,time_median_us,time_cv,gflops,peak_gflops,efficiency,max_abs_err,max_rel_err,status'

# --verify-only on the seed config: exit 0, the header, one row per layer x variant
"$bin" --verify-only -q -t 1 -o "$tmp/seed.csv" "$src/configs/seed.ini" >"$tmp/out.txt" 2>&1
expect_exit 0 $? "--verify-only configs/seed.ini"
variants=$("$bin" --list-variants | wc -l)
layers=$(grep -c '^\[' "$src/configs/seed.ini")
layers=$((layers - 1)) # [network]
if [ -f "$tmp/seed.csv" ]; then
    first=$(head -n 1 "$tmp/seed.csv")
    case "$first" in
        "$header"*) ok ;;
        *) bad "CSV header is '$first'" ;;
    esac
    rows=$(($(wc -l <"$tmp/seed.csv") - 1))
    [ "$rows" -eq $((layers * variants)) ] && ok ||
        bad "CSV has $rows rows, want $layers layers x $variants variants"
    columns=$(echo "$header" | awk -F, '{print NF}')
    # the seed CSV has no quoted fields, so a plain split counts columns
    awk -F, -v want="$columns" 'NR > 1 && NF < want { exit 1 }' "$tmp/seed.csv" && ok ||
        bad "a CSV row has fewer than $columns fields"
    grep -q ',mismatch,\|,error,' "$tmp/seed.csv" && bad "seed rows not all ok" || ok
    [ -f "$tmp/seed.meta" ] && grep -q '^cpu_model = ' "$tmp/seed.meta" && ok ||
        bad "no .meta with cpu_model beside the CSV"
else
    bad "no CSV written"
fi

# default output: results/<config>.csv in the working directory; no config = the seed
(cd "$tmp" && "$bin" --verify-only -q -t 2 >/dev/null 2>&1)
expect_exit 0 $? "no config (built-in seed)"
[ -f "$tmp/results/seed.csv" ] && [ -f "$tmp/results/seed.meta" ] && ok ||
    bad "no results/seed.csv and .meta from a run without config"

# a timed run fills the timing columns
"$bin" -q -t 1 --min-time=0 --reps=2 --max-time=0.5 -l regular -o "$tmp/timed.csv" \
    "$src/configs/seed.ini" >"$tmp/timed.txt" 2>&1
expect_exit 0 $? "timed run"
awk -F, 'NR > 1 && $39 == "ok" && ($31 == "" || $32 == "" || $34 == "" || $35 == "" || $30 < 2) { exit 1 }' \
    "$tmp/timed.csv" && ok || bad "timing columns empty in a timed run"
grep -q 'speed against onednn-blocked\|speed against naive' "$tmp/timed.txt" && ok || bad "no closing summary"

# CSV on standard output: only the CSV there
"$bin" --verify-only -q -l regular -o - "$src/configs/seed.ini" >"$tmp/stdout.csv" 2>/dev/null
expect_exit 0 $? "-o -"
[ "$(head -n 1 "$tmp/stdout.csv" | cut -c1-14)" = "config,layer,k" ] && ok ||
    bad "-o - does not start with the header"

# bad usage and bad configs: exit 2, no result, an earlier result untouched
echo "earlier result" >"$tmp/keep.csv"
"$bin" --no-such-option -o "$tmp/keep.csv" >/dev/null 2>&1
expect_exit 2 $? "unknown option"
"$bin" -q -o "$tmp/keep.csv" "$src/tests/bad-configs/groups_not_dividing_in.ini" \
    >/dev/null 2>"$tmp/bad.txt"
expect_exit 2 $? "bad config"
grep -q 'groups_not_dividing_in.ini:5: groups = 5 does not divide 3 input channels' \
    "$tmp/bad.txt" && ok || bad "bad config message: $(cat "$tmp/bad.txt")"
[ "$(cat "$tmp/keep.csv")" = "earlier result" ] && ok || bad "a failed run touched keep.csv"
"$bin" -q -o "$tmp/new.csv" "$src/tests/bad-configs/empty.ini" >/dev/null 2>&1
expect_exit 2 $? "empty config"
[ ! -e "$tmp/new.csv" ] && ok || bad "a bad config left new.csv"
ls "$tmp" | grep -q 'csv\.' && bad "a temporary file was left behind: $(ls "$tmp")" || ok
"$bin" -q "$tmp/does-not-exist.ini" >/dev/null 2>&1
expect_exit 2 $? "missing config file"

# every numeric option is validated
for option in --threads=0 --threads=abc --threads=1,,x --min-time=-1 --max-time=0 \
    --reps=0 --reps=1.5 --seed=x --variants=nope --baseline=nope -l; do
    "$bin" --verify-only -q -o "$tmp/opt.csv" "$option" "$src/configs/seed.ini" \
        >/dev/null 2>&1
    expect_exit 2 $? "$option"
done
[ ! -e "$tmp/opt.csv" ] && ok || bad "a rejected option left opt.csv"

# --summary: the seed figures, and torchsummary's memory lines for one layer
"$bin" --summary -l regular "$src/configs/seed.ini" >"$tmp/summary.txt" 2>&1
expect_exit 0 $? "--summary"
for line in 'Total params: 162' 'Total MACs: 663,552' 'Input size (MB): 0.09' \
    'Forward/backward pass size (MB): 0.09' 'Params size (MB): 0.00' \
    'Estimated Total Size (MB): 0.19'; do
    grep -qF "$line" "$tmp/summary.txt" && ok || bad "--summary lacks '$line'"
done
"$bin" --summary "$src/configs/mobilenet.ini" >"$tmp/mobilenet.txt" 2>&1
grep -qF 'Total params: 4,210,088' "$tmp/mobilenet.txt" &&
    grep -qF 'Total MACs: 568,740,352' "$tmp/mobilenet.txt" && ok ||
    bad "--summary mobilenet totals"

# --max-memory: rows that would need more are errors naming layer, variant and
# bytes; the others still run; exit 3
"$bin" --verify-only -q -t 1 --max-memory=600K -o "$tmp/mem.csv" "$src/configs/seed.ini" \
    >/dev/null 2>"$tmp/mem.txt"
expect_exit 3 $? "--max-memory=600K"
grep -q ',error,"\{0,1\}needs about [0-9]* bytes' "$tmp/mem.csv" && ok || bad "no error row for memory"
grep -q 'error: seed/regular, im2col-gemm, 1 thread: needs about' "$tmp/mem.txt" && ok ||
    bad "the memory error does not name layer and variant: $(head -c 300 "$tmp/mem.txt")"
grep -q ',naive,1,0,.*,ok,' "$tmp/mem.csv" && ok || bad "naive rows did not run under --max-memory"
"$bin" --verify-only -q --max-memory=12Q "$src/configs/seed.ini" >/dev/null 2>&1
expect_exit 2 $? "--max-memory=12Q"

# SIGINT: the rows finished go to a .partial.csv, the earlier result stays
echo "earlier result" >"$tmp/sig.csv"
"$bin" -q -t 1 -v naive --min-time=0.5 --reps=1 -o "$tmp/sig.csv" "$src/configs/vgg16.ini" \
    >/dev/null 2>"$tmp/sig.txt" &
pid=$!
# wait until the first row is written (at most 60 s), then interrupt
for _ in $(seq 600); do
    [ -n "$(ls "$tmp" | grep 'sig\.csv\.' )" ] && [ "$(cat "$tmp"/sig.csv.* 2>/dev/null | wc -l)" -ge 2 ] && break
    sleep 0.1
done
kill -INT "$pid"
wait "$pid"
expect_exit 130 $? "SIGINT"
[ "$(cat "$tmp/sig.csv")" = "earlier result" ] && ok || bad "SIGINT touched the earlier result"
if [ -f "$tmp/sig.partial.csv" ]; then
    case "$(head -n 1 "$tmp/sig.partial.csv")" in "$header"*) ok ;; *) bad "partial CSV header" ;; esac
    [ "$(wc -l <"$tmp/sig.partial.csv")" -ge 2 ] && ok || bad "partial CSV has no row"
    awk -F, -v want="$(echo "$header" | awk -F, '{print NF}')" 'NF < want { exit 1 }' \
        "$tmp/sig.partial.csv" && ok || bad "partial CSV has a short row"
else
    bad "no sig.partial.csv after SIGINT: $(cat "$tmp/sig.txt")"
fi
grep -q 'interrupted by SIGINT' "$tmp/sig.txt" && ok || bad "SIGINT not reported"
ls "$tmp" | grep -q 'sig\.csv\.' && bad "SIGINT left a temporary file" || ok

# --help and --version answer and exit 0
"$bin" --help | grep -q -- '--verify-only' && ok || bad "--help"
"$bin" --version | grep -q '^convbench ' && ok || bad "--version"

# --batch=LIST: every layer at each batch, one summary per batch, the rows in
# one CSV; a list with --summary, and a size given twice, are bad usage
"$bin" -q -t 1 --min-time=0 --reps=2 --max-time=0.2 -v naive,im2col-gemm --batch=1,3 \
    -l regular -o "$tmp/batches.csv" --no-plot "$src/configs/seed.ini" >"$tmp/batches.txt" 2>&1
expect_exit 0 $? "--batch=1,3"
rows1=$(awk -F, 'NR > 1 && $6 == 1' "$tmp/batches.csv" | wc -l)
rows3=$(awk -F, 'NR > 1 && $6 == 3' "$tmp/batches.csv" | wc -l)
[ "$rows1" -gt 0 ] && [ "$rows1" -eq "$rows3" ] && ok ||
    bad "--batch=1,3: $rows1 rows at batch 1 and $rows3 at batch 3"
[ "$(grep -c 'at batch 1, 1 thread: speed against' "$tmp/batches.txt")" -eq 1 ] &&
    [ "$(grep -c 'at batch 3, 1 thread: speed against' "$tmp/batches.txt")" -eq 1 ] && ok ||
    bad "--batch=1,3: not one summary per batch"
"$bin" --batch=1,3 --summary "$src/configs/seed.ini" >/dev/null 2>"$tmp/err.txt"
expect_exit 2 $? "--batch=LIST --summary"
"$bin" --batch=2,2 --verify-only -o "$tmp/never.csv" "$src/configs/seed.ini" >/dev/null 2>"$tmp/err.txt"
expect_exit 2 $? "--batch=2,2"
grep -q 'is given twice' "$tmp/err.txt" && [ ! -e "$tmp/never.csv" ] && ok ||
    bad "--batch=2,2: $(cat "$tmp/err.txt")"

# a sweep runs as the layers it expands to, each named after its values
printf '[s]\nin = 8x9x9\nout = 4,8\nkernel = 1,3\npad = 1\n' >"$tmp/sweep.ini"
"$bin" --verify-only -q -t 1 -v naive -o "$tmp/sweep.csv" "$tmp/sweep.ini" >/dev/null 2>&1
expect_exit 0 $? "a sweep config"
[ "$(cut -d, -f2 "$tmp/sweep.csv" | tail -n +2 | tr '\n' ' ')" = \
    "s_out4_kernel1 s_out4_kernel3 s_out8_kernel1 s_out8_kernel3 " ] && ok ||
    bad "sweep layers: $(cut -d, -f2 "$tmp/sweep.csv" | tr '\n' ' ')"

report
