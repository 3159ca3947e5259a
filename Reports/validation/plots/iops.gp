set terminal svg size 760,440 noenhanced font "sans,11"
set output "iops.svg"
set title "IOPS: simulated against real, one point per case (real: median and min–max of 5 runs)"
set xlabel "real IOPS, thousands (median of 5 runs)"
set ylabel "simulated IOPS, thousands"
set grid
set key outside right top
plot "iops.dat" index 0 using 1:2:3:4 with xerrorbars pt 7 ps 1.2 lw 1.5 lc rgb "#0072B2" title "iodepth 1 (chain depths 1, 8, 17)", \
  '' index 1 using 1:2:3:4 with xerrorbars pt 5 ps 1.2 lw 1.5 lc rgb "#D55E00" title "iodepth 8 (chain depths 1, 8, 17)", \
  '' index 2 using 1:2 with lines lw 2.75 dt 3 lc rgb "#000000" title "simulated = real", \
  '' index 3 using 1:2 with lines lw 2.12 dt 4 lc rgb "#7F7F7F" title "±10 %", \
  '' index 4 using 1:2 with lines lw 1.50 dt 5 lc rgb "#7F7F7F" title ""
