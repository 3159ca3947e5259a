set terminal svg size 760,440 noenhanced font "sans,11"
set output "lookups-per-level.svg"
set title "Bitmap lookups per request at each chain level (0 = leaf)"
set xlabel "chain level"
set ylabel "bitmap lookups per request"
set grid
set key outside right top
plot "lookups-per-level.dat" index 0 using 1:2 with linespoints lw 4.00 dt 1 pt 7 ps 0.8 lc rgb "#0072B2" title "default chain.depth=1", \
  '' index 1 using 1:2 with linespoints lw 1.50 dt 2 pt 5 ps 0.8 lc rgb "#0072B2" title "default chain.depth=8"
