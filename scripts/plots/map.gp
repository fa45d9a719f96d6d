# Which variant wins where: one cell per point of the sweeps (rows: the
# section, or its name up to the last swept key; columns: the last swept
# key's items), coloured by the fastest variant, labelled with its speed over
# the runner-up and its max_rel_err.
load plots.'/common.gp'
set title sprintf("%s, %d thread%s: %s", config, threads, threads > 1 ? "s" : "", map_title) noenhanced
rows = words(map_rows)
columns = words(map_columns)
set xrange [-0.5:columns - 0.5]
set yrange [rows - 0.5:-0.5]
set xtics () rotate by -30 noenhanced
set ytics () noenhanced
do for [i = 1:columns] { set xtics add (word(map_columns, i) i - 1) }
do for [i = 1:rows] { set ytics add (word(map_rows, i) i - 1) }
set grid noytics
set border 15
unset colorbox
set key outside right top vertical Left reverse noenhanced box lc rgb '#cccccc' title 'fastest variant'
# variant k (0-based among those shown) has the colour of its series in the other charts
color(k) = k != k ? rgb(255, 255, 255) : rgbhex(word(palette, int(k) + 2))
rgbhex(s) = int('0x'.s[2:7])
rgb(r, g, b) = 65536 * r + 256 * g + b
cell(s, e) = sprintf("%s\n%.2fx\nerr %.0e", s, $4, e)
plot dir.'/map.dat' using 1:2:(0.5):(0.5):(color($3)) with boxxyerror fs solid 0.85 border lc rgb '#ffffff' lc rgb variable notitle, \
     '' using 1:2:(stringcolumn(6) eq '-' ? '' : cell(stringcolumn(6), $5)) with labels font ',8' notitle, \
     for [k = 1:words(variant_names)] NaN with boxes fs solid 0.85 lc rgb word(palette, k + 1) title word(variant_names, k)
