-- wrk script for `bench/run.py redeem`'s attendance run: every request reports module 1 of a different enrollment.
--
--   wrk -t2 -c64 -d10s --latency -H "Authorization: Bearer ..." -s bench/attendance.lua URL -- IDS RUN THREADS [DELAY]
--
-- IDS is a file of enrollment ids (active, nothing attended yet), one a line; thread t (0-based) of THREADS takes
-- lines t, t + THREADS, ... RUN is unused (the same arguments as redeem.lua). DELAY (ms, default 0) paces each
-- connection. `attended_at` is the second wrk started (run.py starts it at least a second after the last
-- redemption). Only 200 counts as recorded: every other status, and a thread running out of enrollments, is
-- counted and reported by done() for run.py to fail on.
-- (wrk calls request() once per thread before the load starts and drops that request: that enrollment is unused.)

local threads = {}
local created_threads = 0

function setup(thread)
   thread:set("tid", created_threads)
   created_threads = created_threads + 1
   table.insert(threads, thread)
end

function init(args)
   local path, run, nthreads = args[1], args[2], tonumber(args[3])
   pause = tonumber(args[4] or "0")
   codes = {}
   local line_number = 0
   for line in io.lines(path) do
      if line ~= "" then
         if line_number % nthreads == tid then
            codes[#codes + 1] = line
         end
         line_number = line_number + 1
      end
   end
   ncodes = #codes
   next_index = 1
   created = 0
   refused = 0
   exhausted = 0
   first_refusal = ""
   refusal_statuses = ""
   body = '{"attended_at":"' .. os.date("!%Y-%m-%dT%H:%M:%SZ") .. '"}'
   headers = {}
   for name, value in pairs(wrk.headers) do
      headers[name] = value
   end
   headers["Content-Type"] = "application/json"
end

function request()
   local index = next_index
   next_index = index + 1
   local id = codes[index]
   if id == nil then
      -- Out of enrollments: count it, and send a request that cannot record anything (it will be refused too).
      exhausted = exhausted + 1
      id = "enr_none"
   end
   return wrk.format("PUT", "/v1/enrollments/" .. id .. "/attendance/1", headers, body)
end

function delay()
   return pause
end

function response(status, headers, body)
   if status == 200 then
      created = created + 1
   else
      refused = refused + 1
      if refused <= 5 then
         refusal_statuses = refusal_statuses .. status .. " "
      end
      if first_refusal == "" then
         first_refusal = status .. " " .. string.gsub(body, "\n", " ")
      end
   end
end

function done(summary, latency, requests)
   for _, thread in ipairs(threads) do
      io.write(string.format(
         "ATTEND thread=%d created=%d refused=%d exhausted=%d codes=%d statuses=%s\n",
         thread:get("tid"), thread:get("created"), thread:get("refused"), thread:get("exhausted"),
         thread:get("ncodes"), thread:get("refusal_statuses")
      ))
      local refusal = thread:get("first_refusal")
      if refusal ~= "" then
         io.write("ATTEND first_refusal=" .. refusal .. "\n")
      end
   end
end
