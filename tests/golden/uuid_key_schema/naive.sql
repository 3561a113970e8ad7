alter table app."Events" add column weight int not null default 5;
alter table app."Events" add column score int;
update app."Events" set score = v + weight where v % 2 = 0;
update app."Events" set score = 0 - v where v % 2 <> 0;
alter table app."Events" alter column score set not null;
alter table app."Events" add column tier text;
update app."Events" set tier = 'low';
update app."Events" set tier = 'high' where v >= 500;
drop index app."Events by v";
create index "Events by v" on app."Events" (v desc, (lower(label)));
create schema "audit log";
create table "audit log"."Entries" (
    id       bigint generated always as identity primary key,
    event_id uuid not null references app."Events" (id),
    note     text
);
