# Roofline: GFLOP/s against arithmetic intensity (nominal FLOPs / minimum
# bytes), one point per layer and variant, under the roofs of the measured
# FMA peak and memory bandwidth.
load plots.'/common.gp'
set title sprintf("%s, %d thread%s: %s", config, threads, threads > 1 ? "s" : "", \
    roofline_title) noenhanced
set logscale xy
set xlabel 'arithmetic intensity, FLOP/byte (nominal FLOPs / minimum traffic, log scale)'
set ylabel 'GFLOP/s (log scale)'
set xrange [0.1:1000]
roof(x) = (bandwidth == bandwidth && peak == peak) ? (x * bandwidth < peak ? x * bandwidth : peak) : 1/0
set samples 400
plot roof(x) with lines lw 2.5 lc rgb '#222222' title sprintf('roof: min(%.0f GFLOP/s, %.0f GB/s x intensity), measured', peak, bandwidth), \
     for [k in kinds_present] dir.'/points.dat' index (k + 0) using 4:3:(shape($7)) with points pt variable ps 1.1 \
        lc rgb kind_color(k + 0) notitle, \
     for [k in kinds_present] NaN with points pt 7 ps 1.1 lc rgb kind_color(k + 0) title word('regular grouped depthwise pointwise', k + 1), \
     for [v = 1:words(variant_names)] NaN with points pt shape(v - 1) ps 1.1 lc rgb '#555555' title word(variant_names, v)
