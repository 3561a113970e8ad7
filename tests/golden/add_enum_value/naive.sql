ALTER TYPE mood ADD VALUE 'ok' BEFORE 'sad';
ALTER TYPE mood ADD VALUE 'ecstatic' AFTER 'happy';
ALTER TYPE mood ADD VALUE 'furious';
