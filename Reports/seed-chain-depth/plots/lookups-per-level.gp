set terminal svg size 760,440 noenhanced font "sans,11"
set output "lookups-per-level.svg"
set title "Bitmap lookups per request at each chain level (0 = leaf)"
set xlabel "chain level"
set ylabel "bitmap lookups per request"
set grid
set key outside right top
plot "lookups-per-level.dat" index 0 using 1:2 with linespoints lw 4.00 dt 1 pt 7 ps 0.8 lc rgb "#0072B2" title "batmap-cache chain.write_pattern=random;chain.depth=1", \
  '' index 1 using 1:2 with linespoints lw 3.77 dt 2 pt 5 ps 0.8 lc rgb "#0072B2" title "batmap-cache chain.write_pattern=random;chain.depth=5", \
  '' index 2 using 1:2 with linespoints lw 3.55 dt 3 pt 9 ps 0.8 lc rgb "#0072B2" title "batmap-cache chain.write_pattern=random;chain.depth=9", \
  '' index 3 using 1:2 with linespoints lw 3.32 dt 4 pt 13 ps 0.8 lc rgb "#0072B2" title "batmap-cache chain.write_pattern=random;chain.depth=13", \
  '' index 4 using 1:2 with linespoints lw 3.09 dt 5 pt 11 ps 0.8 lc rgb "#0072B2" title "batmap-cache chain.write_pattern=random;chain.depth=17", \
  '' index 5 using 1:2 with linespoints lw 2.86 dt 1 pt 6 ps 0.8 lc rgb "#0072B2" title "batmap-cache chain.write_pattern=sequential;chain.depth=1", \
  '' index 6 using 1:2 with linespoints lw 2.64 dt 2 pt 7 ps 0.8 lc rgb "#0072B2" title "batmap-cache chain.write_pattern=sequential;chain.depth=5", \
  '' index 7 using 1:2 with linespoints lw 2.41 dt 3 pt 5 ps 0.8 lc rgb "#0072B2" title "batmap-cache chain.write_pattern=sequential;chain.depth=9", \
  '' index 8 using 1:2 with linespoints lw 2.18 dt 4 pt 9 ps 0.8 lc rgb "#0072B2" title "batmap-cache chain.write_pattern=sequential;chain.depth=13", \
  '' index 9 using 1:2 with linespoints lw 1.95 dt 5 pt 13 ps 0.8 lc rgb "#0072B2" title "batmap-cache chain.write_pattern=sequential;chain.depth=17", \
  '' index 10 using 1:2 with linespoints lw 1.73 dt 1 pt 11 ps 0.8 lc rgb "#D55E00" title "batmap-nocache chain.write_pattern=random;chain.depth=1", \
  '' index 11 using 1:2 with linespoints lw 1.50 dt 2 pt 6 ps 0.8 lc rgb "#D55E00" title "batmap-nocache chain.write_pattern=random;chain.depth=5"
