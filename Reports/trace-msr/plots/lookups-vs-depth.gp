set terminal svg size 760,440 noenhanced font "sans,11"
set output "lookups-vs-depth.svg"
set title "Bitmap lookups per request against chain depth, with least-squares fit"
set xlabel "chain depth (levels)"
set ylabel "bitmap lookups per request"
set grid
set key outside right top
plot "lookups-vs-depth.dat" index 0 using 1:2 with points pt 7 ps 1.2 lc rgb "#0072B2" title "default", \
  '' index 1 using 1:2 with lines lw 1.50 dt 2 lc rgb "#0072B2" title "default fit: 0.08926 per level"
