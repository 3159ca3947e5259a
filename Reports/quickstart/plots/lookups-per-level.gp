set terminal svg size 760,440 noenhanced font "sans,11"
set output "lookups-per-level.svg"
set title "Bitmap lookups per request at each chain level (0 = leaf)"
set xlabel "chain level"
set ylabel "bitmap lookups per request"
set grid
set key outside right top
plot "lookups-per-level.dat" index 0 using 1:2 with linespoints lw 4.00 dt 1 pt 7 ps 0.8 lc rgb "#0072B2" title "batmap-on chain.depth=1", \
  '' index 1 using 1:2 with linespoints lw 3.50 dt 2 pt 5 ps 0.8 lc rgb "#0072B2" title "batmap-on chain.depth=8", \
  '' index 2 using 1:2 with linespoints lw 3.00 dt 3 pt 9 ps 0.8 lc rgb "#0072B2" title "batmap-on chain.depth=17", \
  '' index 3 using 1:2 with linespoints lw 2.50 dt 4 pt 13 ps 0.8 lc rgb "#D55E00" title "batmap-off chain.depth=1", \
  '' index 4 using 1:2 with linespoints lw 2.00 dt 5 pt 11 ps 0.8 lc rgb "#D55E00" title "batmap-off chain.depth=8", \
  '' index 5 using 1:2 with linespoints lw 1.50 dt 1 pt 6 ps 0.8 lc rgb "#D55E00" title "batmap-off chain.depth=17"
