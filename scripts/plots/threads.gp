# Thread scaling: each variant's speed-up over the smallest thread count run
# (geometric mean over the layers timed at both).
load plots.'/common.gp'
set title sprintf("%s: %s", config, threads_title) noenhanced
set xlabel 'OpenMP threads'
set ylabel 'speed-up (geometric mean over layers)'
set xtics 1
set yrange [0:*]
plot x with lines dt 2 lc rgb '#444444' title 'linear', \
     for [i = 2:variants + 1] dir.'/threads.dat' using 1:i with linespoints lt i pt 7 title columnheader(i)
