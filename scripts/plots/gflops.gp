# Per-layer GFLOP/s by variant (nominal FLOPs / median time), log scale.
load plots.'/common.gp'
set title sprintf("%s, %d thread%s: %s", config, threads, threads > 1 ? "s" : "", gflops_title) noenhanced
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.9 border -1
set boxwidth 0.9
set logscale y
set yrange [gflops_floor:*]
set ylabel 'GFLOP/s (nominal FLOPs / median time, log scale)'
set xtics rotate by -60 scale 0 noenhanced font ',9'
if (peak == peak) {
    set arrow 1 from graph 0, first peak to graph 1, first peak nohead dt 2 lw 1.5 lc rgb '#444444'
    set label 1 sprintf('measured FMA peak %.0f GFLOP/s', peak) at graph 0.01, first peak offset 0, 0.7 font ',10'
}
plot for [i = 2:variants + 1] dir.'/layers.dat' using i:xtic(1) title columnheader(i) lt i
