ALTER TABLE users ADD CHECK (age >= 0 and age < 150);
