# Roofline: GFLOP/s against arithmetic intensity (nominal FLOPs / minimum
# bytes), one point per layer and variant, under the roofs of the measured
# FMA peak and memory bandwidth.
load plots.'/common.gp'
set title sprintf("%s: roofline, %d thread%s (peak %.0f GFLOP/s, bandwidth %.0f GB/s, both measured)", \
    config, threads, threads > 1 ? "s" : "", peak, bandwidth) noenhanced
set logscale xy
set xlabel 'arithmetic intensity, FLOP/byte (nominal FLOPs / minimum traffic, log scale)'
set ylabel 'GFLOP/s (log scale)'
set xrange [0.1:1000]
roof(x) = (bandwidth == bandwidth && peak == peak) ? (x * bandwidth < peak ? x * bandwidth : peak) : 1/0
set samples 400
plot roof(x) with lines lw 2.5 lc rgb '#222222' title 'roof: min(peak, bandwidth x intensity)', \
     for [k in kinds_present] dir.'/points.dat' index (k + 0) using 4:3 with points pt 7 ps 0.9 \
        lc rgb kind_color(k + 0) title word('regular grouped depthwise pointwise', k + 1)
