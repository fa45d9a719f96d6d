# Where each variant's time goes: one bar per layer and variant that marks
# its phases (the instrumented run after the timed samples), stacked by
# phase as a percentage of that run; "other" is what no phase covers
# (barriers, threads waiting on each other, loop overhead).
load plots.'/common.gp'
set title sprintf("%s, %d thread%s: %s", config, threads, threads > 1 ? "s" : "", phases_title) noenhanced
set style data histograms
set style histogram rowstacked
set style fill solid 0.9 border -1
set boxwidth 0.8
set yrange [0:100]
set ylabel '% of the instrumented run'
set xtics rotate by -60 scale 0 noenhanced font ',8'
set key title 'phase'
plot for [i = 2:phase_columns] dir.'/phases.dat' using i:xtic(1) title columnheader(i) lt i
