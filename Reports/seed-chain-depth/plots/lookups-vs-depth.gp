set terminal svg size 760,440 noenhanced font "sans,11"
set output "lookups-vs-depth.svg"
set title "Bitmap lookups per request against chain depth, with least-squares fit"
set xlabel "chain depth (levels)"
set ylabel "bitmap lookups per request"
set grid
set key outside right top
plot "lookups-vs-depth.dat" index 0 using 1:2 with points pt 7 ps 1.2 lc rgb "#0072B2" title "batmap-cache", \
  '' index 1 using 1:2 with lines lw 3.64 dt 2 lc rgb "#0072B2" title "batmap-cache fit: 0.1941 per level", \
  '' index 2 using 1:2 with points pt 9 ps 1.2 lc rgb "#D55E00" title "batmap-nocache", \
  '' index 3 using 1:2 with lines lw 2.93 dt 4 lc rgb "#D55E00" title "batmap-nocache fit: 0.1966 per level", \
  '' index 4 using 1:2 with points pt 11 ps 1.2 lc rgb "#009E73" title "nobatmap-cache", \
  '' index 5 using 1:2 with lines lw 2.21 dt 1 lc rgb "#009E73" title "nobatmap-cache fit: 0.1948 per level", \
  '' index 6 using 1:2 with points pt 7 ps 1.2 lc rgb "#CC79A7" title "nobatmap-nocache", \
  '' index 7 using 1:2 with lines lw 1.50 dt 3 lc rgb "#CC79A7" title "nobatmap-nocache fit: 0.1954 per level"
