set terminal svg size 760,440 noenhanced font "sans,11"
set output "lookups-per-level.svg"
set title "Bitmap lookups per request at each chain level (0 = leaf)"
set xlabel "chain level"
set ylabel "bitmap lookups per request"
set grid
set key outside right top
plot "lookups-per-level.dat" index 0 using 1:2 with linespoints lw 2 pt 7 ps 0.6 title "none", \
  '' index 1 using 1:2 with linespoints lw 2 pt 7 ps 0.6 title "live", \
  '' index 2 using 1:2 with linespoints lw 2 pt 7 ps 0.6 title "snapshot-coalesce", \
  '' index 3 using 1:2 with linespoints lw 2 pt 7 ps 0.6 title "mirror"
