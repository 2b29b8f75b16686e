"""The programme's summary report: what happened to vouchers and money in a time range, per scheme.

Every figure comes from the book that records it (the ledger for money, statement lines for what partners are owed
and clawed back, the audit trail for which way a voucher closed), so the report reconciles with them by
construction. Each query reads one range index on the time the thing happened (migration 0016), then looks up the
participant's scheme per row (scalar subqueries: index probes the planner cannot turn into a scan of every
participant): its cost follows what happened in the range, not the size of the tables.
"""

from __future__ import annotations

from datetime import datetime

from api.http.dependencies import Connection
from api.schemas.reports import Figure, MoneyFigures, ReportSummary, SchemeSummary, VoucherFigures
from domain.errors import FieldProblem, ValidationFailed

SCHEME_OF_PARTICIPANT = "(SELECT p.scheme FROM participants p WHERE p.id = {column})"
LEDGER = f"""
SELECT scheme, kind, count(*) AS n, sum(amount)::bigint AS amount
  FROM (SELECT l.kind, l.amount, {SCHEME_OF_PARTICIPANT.format(column="l.participant_id")} AS scheme
          FROM ledger_entries l WHERE l.created_at >= $1 AND l.created_at < $2) AS entries
 GROUP BY scheme, kind
"""
# Which way vouchers closed: the audit trail names the move (a void and a programme cancel end in the same status).
CLOSINGS = """
SELECT p.scheme, a.action AS kind, count(*) AS n, sum(v.amount)::bigint AS amount
  FROM audit_log a
  JOIN vouchers v ON v.code = a.entity_id
  JOIN participants p ON p.id = v.participant_id
 WHERE a.action = any($3::text[]) AND a.at >= $1 AND a.at < $2 AND a.entity_type = 'voucher'
 GROUP BY p.scheme, a.action
"""
CLOSING_ACTIONS = {
    "voucher.expired": "expired",
    "voucher.voided": "voided",
    "voucher.cancelled": "cancelled",
    "voucher.fraud_flagged": "fraudulent",
}
# The scheme is looked up per line (a scalar subquery: an index probe each), so the planner cannot turn the join into
# a scan of every voucher when the range holds many lines.
LINES = """
SELECT scheme, kind, count(*) AS n, sum(amount)::bigint AS amount
  FROM (SELECT l.kind, abs(l.amount) AS amount,
               (SELECT p.scheme FROM vouchers v JOIN participants p ON p.id = v.participant_id
                 WHERE v.code = l.voucher_code) AS scheme
          FROM statement_lines l
         WHERE l.created_at >= $1 AND l.created_at < $2 AND l.kind IN ('payable', 'clawback')) AS lines
 GROUP BY scheme, kind
"""
COMPLETIONS = f"""
SELECT scheme, count(*) AS n
  FROM (SELECT {SCHEME_OF_PARTICIPANT.format(column="e.participant_id")} AS scheme
          FROM enrollments e WHERE e.completed_at >= $1 AND e.completed_at < $2) AS completed
 GROUP BY scheme
"""
CERTIFICATES = f"""
SELECT scheme, count(*) AS n
  FROM (SELECT (SELECT {SCHEME_OF_PARTICIPANT.format(column="e.participant_id")} FROM enrollments e
                 WHERE e.id = c.enrollment_id) AS scheme
          FROM certificates c WHERE c.issued_at >= $1 AND c.issued_at < $2) AS issued
 GROUP BY scheme
"""
INCENTIVES = """
SELECT i.scheme, count(*) AS n, sum(i.amount_per_payment * i.payments)::bigint AS amount
  FROM incentives i WHERE i.eligible_at >= $1 AND i.eligible_at < $2 GROUP BY i.scheme
"""
# Incentive transfers the channels reported paid in the range (disbursement_items_paid_idx, migration 0017).
INCENTIVES_PAID = """
SELECT n.scheme, count(*) AS n, sum(d.amount)::bigint AS amount
  FROM disbursement_items d
  JOIN incentive_transfers t ON t.id = d.transfer_id
  JOIN incentives n ON n.participant_id = t.participant_id
 WHERE d.status = 'paid' AND d.result_at >= $1 AND d.result_at < $2
 GROUP BY n.scheme
"""


class _Tally:
    def __init__(self, scheme: str) -> None:
        self.scheme = scheme
        self.figures: dict[str, Figure] = {}
        self.counts: dict[str, int] = {}

    def figure(self, name: str) -> Figure:
        return self.figures.setdefault(name, Figure())

    def add(self, name: str, count: int, amount: int) -> None:
        figure = self.figure(name)
        figure.count += count
        figure.amount += amount

    def summary(self) -> SchemeSummary:
        f = self.figure
        return SchemeSummary(
            scheme=self.scheme,
            vouchers=VoucherFigures(
                sold=f("purchase"),
                redeemed=f("payable"),
                expired=f("expired"),
                voided=f("voided"),
                cancelled=f("cancelled"),
                fraudulent=f("fraudulent"),
                clawed_back=f("clawback"),
            ),
            completions=self.counts.get("completions", 0),
            certificates=self.counts.get("certificates", 0),
            incentives_eligible=f("incentives"),
            incentives_paid=f("incentives_paid"),
            money=MoneyFigures(
                granted=f("grant").amount,
                spent=f("purchase").amount,
                refunded=f("refund").amount,
                lapsed=f("lapse").amount,
            ),
        )


async def summary(conn: Connection, since: datetime, until: datetime) -> ReportSummary:
    """The summary of [since, until), per scheme and in total."""
    if until <= since:
        raise ValidationFailed("`to` must be after `from`.", problems=(FieldProblem("to", "must be after from"),))
    schemes = [r["code"] for r in await conn.fetch("SELECT code FROM schemes ORDER BY code")]
    tallies = {code: _Tally(code) for code in schemes}
    total = _Tally("all")

    def add(scheme: str, name: str, count: int, amount: int) -> None:
        for tally in (tallies.setdefault(scheme, _Tally(scheme)), total):
            tally.add(name, count, amount)

    def count(scheme: str, name: str, n: int) -> None:
        for tally in (tallies.setdefault(scheme, _Tally(scheme)), total):
            tally.counts[name] = tally.counts.get(name, 0) + n

    for row in await conn.fetch(LEDGER, since, until):
        add(row["scheme"], row["kind"], row["n"], row["amount"])
    for row in await conn.fetch(CLOSINGS, since, until, list(CLOSING_ACTIONS)):
        add(row["scheme"], CLOSING_ACTIONS[row["kind"]], row["n"], row["amount"])
    for row in await conn.fetch(LINES, since, until):
        add(row["scheme"], row["kind"], row["n"], row["amount"])
    for row in await conn.fetch(COMPLETIONS, since, until):
        count(row["scheme"], "completions", row["n"])
    for row in await conn.fetch(CERTIFICATES, since, until):
        count(row["scheme"], "certificates", row["n"])
    for row in await conn.fetch(INCENTIVES, since, until):
        add(row["scheme"], "incentives", row["n"], row["amount"])
    for row in await conn.fetch(INCENTIVES_PAID, since, until):
        add(row["scheme"], "incentives_paid", row["n"], row["amount"])
    return ReportSummary(
        from_=since,
        to=until,
        schemes=[tallies[code].summary() for code in sorted(tallies)],
        total=total.summary(),
    )
