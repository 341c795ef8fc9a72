-- The token in the QR code of a point's printed risk cards (三卡): the portal shows the cards'
-- current version to whoever holds a card, without letting anyone list the points.
ALTER TABLE risk_point ADD COLUMN card_token TEXT;
UPDATE risk_point SET card_token = lower(hex(randomblob(12)));
CREATE UNIQUE INDEX risk_point_card_token ON risk_point (card_token);
