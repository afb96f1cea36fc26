# `pad bench`'s report as one JSON line, for the interleaved comparisons (benches/reference/speed.sh,
# benches/gpu.sh):  pad bench … | awk -v impl=NAME -v round=N -f benches/bench-row.awk
/Wake/ { w = $2 }
/NREM/ { n = $2 }
/REM/ && !/NREM/ { m = $2 }
/total/ { t = $2 }
END { printf "{\"impl\": \"%s\", \"round\": %d, \"wake_ms\": %s, \"nrem_ms\": %s, \"rem_ms\": %s, \"total_ms\": %s}\n", impl, round, w, n, m, t }
