/*
 * kinds.h - the small vocabularies the language and the IR share: portable
 * type kinds, foreign-key actions, identity kinds and index orders. The
 * frontend builds them, the IR carries them, backends map them.
 */
#ifndef ZDM_KINDS_H
#define ZDM_KINDS_H

/* X(kind, canonical portable name); OTHER is any other name, passed through. */
#define ZDM_TYPE_KINDS(X)                                                      \
    X(BOOLEAN, "boolean") X(SMALLINT, "smallint") X(INT, "int")                \
    X(BIGINT, "bigint") X(REAL, "real") X(DOUBLE, "double")                    \
    X(NUMERIC, "numeric") X(TEXT, "text") X(VARCHAR, "varchar")                \
    X(CHAR, "char") X(BYTES, "bytes") X(DATE, "date") X(TIME, "time")          \
    X(TIMESTAMP, "timestamp") X(TIMESTAMPTZ, "timestamptz") X(UUID, "uuid")    \
    X(JSON, "json") X(JSONB, "jsonb") X(OTHER, NULL)

typedef enum {
#define X(k, s) ZDM_TY_##k,
    ZDM_TYPE_KINDS(X)
#undef X
} zdm_type_kind;

typedef enum {
    ZDM_FK_UNSPECIFIED = 0, /* the database's default, NO ACTION */
    ZDM_FK_CASCADE,
    ZDM_FK_SET_NULL,
    ZDM_FK_SET_DEFAULT,
    ZDM_FK_RESTRICT,
    ZDM_FK_NO_ACTION,
} zdm_fk_action;

typedef enum { ZDM_IDENTITY_NONE = 0, ZDM_IDENTITY_ALWAYS, ZDM_IDENTITY_BY_DEFAULT } zdm_identity;
typedef enum { ZDM_ORDER_DEFAULT = 0, ZDM_ORDER_ASC, ZDM_ORDER_DESC } zdm_order;
typedef enum { ZDM_NULL_UNSPEC = 0, ZDM_NULL_NULL, ZDM_NULL_NOT_NULL } zdm_nullability;

/* Canonical names: "int", "varchar", ...; NULL for OTHER. */
const char *zdm_type_kind_name(zdm_type_kind k);
/* "cascade", "set null", ...; NULL for UNSPECIFIED. */
const char *zdm_fk_action_name(zdm_fk_action a);

#endif
