-- Each owner's purchases per period, from a point of sale's till lines.
--
-- The one statement `coop import till` runs (coop_beancount/importers/till.py), kept here so
-- that a treasurer or an auditor can read exactly what counts as an owner's patronage.
-- It reads the relation `till`: one row per till line, renamed to the names below by
-- import.yaml's `columns:`, with the date and the amounts already read (NULL where a cell is
-- empty or cannot be read). `coop import till` reads a CSV file's dates and amounts with
-- DuckDB's CSV reader itself (typed columns: fast), and when that reader refuses the file
-- (a value it cannot read, amounts with thousands separators ...) or for Parquet, reads
-- every column as text and parses it with `till_text.sql`, which says what is accepted:
--
--   owner       the owner (member) number rung up with the sale, as written; empty for none
--   sold_at     date and time of the line (TIMESTAMP)
--   department  the line's department
--   amount      the line's amount, its total after any item discount (DECIMAL(18, 4))
--   discount    a discount taken off the line, if the export has such a column (DECIMAL)
--   kind        what the line is (CORE-POS trans_type: I item, D department ring,
--               S discount, T tender, A tax, ...), if the export says
--   status      the line's status (CORE-POS trans_status: V void, R return, X cancelled)
--
-- and the relation `owners` (owner, key, joined, left_on): the books' members, by owner
-- number. Parameters ($name) come from import.yaml and the books:
--
--   $sale_kinds             kinds that are purchases (all lines when there is no kind)
--   $discount_kinds         kinds that are discounts: subtracted, whatever their sign
--   $return_statuses        statuses of returns: subtracted, whatever their sign
--   $void_statuses          statuses of lines left out altogether
--   $excluded_departments   departments the bylaws leave out of patronage
--   $non_owners             owner numbers that mean "no owner" (and an empty one)
--   $first_month, $months   periods of $months months (1, 3 or 12), counted from the
--                           fiscal year's first month
--
-- Rules, in order: a line that is not a purchase or discount kind, has a void status or is
-- in an excluded department is not counted (kinds, statuses and departments are compared
-- without surrounding spaces). A counted line without a date or an amount is 'bad' (the
-- import then lists the rows and writes nothing). Its owner is then a non-owner (no
-- number, or one of $non_owners), 'unknown' (a number the books do not know), 'inactive'
-- (a member, but not on the day of the sale: before joining or after leaving) or an
-- 'owner'. Non-owner, unknown and inactive lines are the non-member business. Owner
-- numbers are compared as numbers when they are digits (0042 is 42); the spellings seen
-- are returned so that one number written two ways is caught.
--
-- The lines are first added up per owner number as written and day (`days`): the only
-- pass over every line, and a cheap one. Everything that depends on the owner (which
-- member, joined or left on that day, how the number is spelled) is then worked out once
-- per owner and day, not once per line: the same result, for a fraction of the work.
--
-- One row per class, owner number and period: what the import writes, lists and checks.

WITH days AS (
    SELECT
        owner,
        CAST(sold_at AS DATE) AS day,
        sold_at IS NULL OR amount IS NULL AS bad,
        sum(CASE
                WHEN list_contains($discount_kinds, trim(kind))
                     OR list_contains($return_statuses, coalesce(trim(status), ''))
                    THEN -abs(amount)
                ELSE amount
            END - abs(coalesce(discount, 0))) AS total,
        count(*) AS lines
    FROM till
    WHERE (kind IS NULL OR list_contains($sale_kinds, trim(kind))
           OR list_contains($discount_kinds, trim(kind)))
      AND NOT list_contains($void_statuses, coalesce(trim(status), ''))
      AND NOT list_contains($excluded_departments, coalesce(trim(department), ''))
    GROUP BY owner, day, bad
),
numbered AS (
    SELECT
        trim(coalesce(owner, '')) AS owner_text,
        coalesce(CAST(try_cast(trim(owner) AS BIGINT) AS VARCHAR),
                 trim(coalesce(owner, ''))) AS owner_id,
        day,
        bad,
        total,
        lines
    FROM days
),
counted AS (
    SELECT
        numbered.*,
        (year(numbered.day) * 12 + month(numbered.day) - $first_month) // $months AS period,
        CASE
            WHEN numbered.bad THEN 'bad'
            WHEN numbered.owner_id = '' OR list_contains($non_owners, numbered.owner_id)
                THEN 'non-owner'
            WHEN owners.key IS NULL THEN 'unknown'
            WHEN numbered.day < owners.joined OR numbered.day > owners.left_on
                THEN 'inactive'
            ELSE 'owner'
        END AS class,
        owners.key
    FROM numbered LEFT JOIN owners ON owners.owner = numbered.owner_id
)
SELECT
    class,
    owner_id,
    key,
    period,
    -- As text: exact, and handed to Python much quicker than a DECIMAL (or a HUGEINT).
    CAST(sum(total) AS VARCHAR) AS total,
    CAST(sum(lines) AS BIGINT) AS lines,
    min(owner_text) AS first_spelling,
    max(owner_text) AS last_spelling,
    min(day) AS first_day,
    max(day) AS last_day
FROM counted
GROUP BY class, owner_id, key, period
ORDER BY period, class, key, owner_id
