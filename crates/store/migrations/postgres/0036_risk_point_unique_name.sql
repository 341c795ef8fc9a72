-- A point's name is unique in its enterprise's register (issue 16): the 两单 join their two
-- lists by it, and importing a register back matches the points by it. Names written twice
-- before are told apart by their id first: one sort of the points (a NOT IN of every first id
-- would compare each point with all the others on PostgreSQL once they outgrow work_mem).
UPDATE risk_point SET name = name || '（' || CAST(id AS TEXT) || '）'
    WHERE id IN (
        SELECT id FROM (
            SELECT id, ROW_NUMBER() OVER (PARTITION BY enterprise_id, name ORDER BY id) AS n
            FROM risk_point
        ) ranked WHERE n > 1
    );
CREATE UNIQUE INDEX risk_point_enterprise_name ON risk_point (enterprise_id, name);
