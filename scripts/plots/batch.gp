# Batch sweep (--batch=LIST): images per second through every layer of the
# result, for the best-of schedule and each variant, against the batch size.
load plots.'/common.gp'
set title sprintf("%s, %d thread%s: %s", config, threads, threads > 1 ? "s" : "", batch_title) noenhanced
set xlabel 'batch size (log scale)'
set ylabel 'images per second through every layer (higher is better)'
set logscale x 2
set yrange [0:*]
plot dir.'/batch.dat' using 1:2 with linespoints lt 1 lw 3 pt 5 title 'best-of', \
     for [i = 3:batch_variants + 2] dir.'/batch.dat' using 1:i with linespoints lt (i - 1) pt 7 title columnheader(i)
