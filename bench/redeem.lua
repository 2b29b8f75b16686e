-- wrk script for `bench/run.py redeem`: every request redeems a different sold voucher.
--
--   wrk -t2 -c64 -d10s --latency -H "Authorization: Bearer ..." -s bench/redeem.lua URL -- CODES RUN THREADS [DELAY]
--
-- CODES is a file of voucher codes, one a line; thread t (0-based) of THREADS takes lines t, t + THREADS, ...
-- RUN makes learner_ref and Idempotency-Key unique across runs. DELAY (ms, default 0) paces each connection:
-- it waits that long after a response before its next request. Only 201 counts as a redemption: every
-- other status, and a thread running out of codes, is counted and reported by done() for run.py to fail on.
-- (wrk calls request() once per thread before the load starts and drops that request: its code stays sold.)

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
   prefix = run .. "-" .. tid .. "-"
   headers = {}
   for name, value in pairs(wrk.headers) do
      headers[name] = value
   end
   headers["Content-Type"] = "application/json"
end

function request()
   local index = next_index
   next_index = index + 1
   local code = codes[index]
   if code == nil then
      -- Out of codes: count it, and send a request that cannot redeem anything (it will be refused too).
      exhausted = exhausted + 1
      code = "SBX-0000-0000-0000"
   end
   local ref = prefix .. index
   headers["Idempotency-Key"] = ref
   return wrk.format("POST", "/v1/vouchers/" .. code .. "/redeem", headers, '{"learner_ref":"' .. ref .. '"}')
end

function delay()
   return pause
end

function response(status, headers, body)
   if status == 201 then
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
         "REDEEM thread=%d created=%d refused=%d exhausted=%d codes=%d statuses=%s\n",
         thread:get("tid"), thread:get("created"), thread:get("refused"), thread:get("exhausted"),
         thread:get("ncodes"), thread:get("refusal_statuses")
      ))
      local refusal = thread:get("first_refusal")
      if refusal ~= "" then
         io.write("REDEEM first_refusal=" .. refusal .. "\n")
      end
   end
end
