/* The row filter of `crampstat filter` (filter.h holds the grammar and the
 * semantics). A recursive-descent parser, lexing on demand so that the
 * first error in reading order is the one reported, compiles the
 * expression once into flat arrays of nodes and pre-parsed literals; a
 * row is then matched by walking those arrays, with no allocation and no
 * re-parsing of the expression's literals. */
#include <assert.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <crampstat/filter.h>
#include <crampstat/value.h>

#define NONE ((size_t)-1)
#define QMAX 40  /* bytes of a token or name quoted in a message */

enum op { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE };

enum kind {
    N_CMP,       /* column op literal */
    N_CMP_COLS,  /* column op column */
    N_IN,        /* column [not] in (literals) */
    N_EMPTY,     /* column is [not] empty */
    N_NOT, N_AND, N_OR
};

/* Kleene's three-valued logic, as in SQL: a comparison with a missing
 * value is unknown rather than false, so that `not (x = 1)` keeps the same
 * rows as `x != 1` and neither invents a verdict on a value nobody wrote
 * down. */
enum { L_FALSE = 0, L_TRUE = 1, L_UNKNOWN = 2 };

struct lit {
    cs_str text;            /* trimmed; points into the arena or expr copy */
    double num;
    int64_t wall;           /* seconds as written, zone ignored */
    int64_t epoch;          /* seconds since the epoch, zone applied */
    unsigned char is_num, is_bool, bval, is_time, has_tz;
};

struct node {
    unsigned char kind, op, negate;
    size_t col;    /* CMP, CMP_COLS, IN, EMPTY: the (left) column */
    size_t arg;    /* CMP: literal; CMP_COLS: right column; IN: first
                      literal; NOT, AND, OR: first child */
    size_t count;  /* IN: number of literals */
    size_t next;   /* next sibling under an AND or OR, NONE at the end */
};

struct cs_filter {
    struct node *nodes;
    struct lit *lits;
    char *arena;   /* unescaped quoted text and a copy of bare words */
    size_t root;
};

/* ---- lexer ------------------------------------------------------------ */

enum tok_kind { T_NONE, T_END, T_LP, T_RP, T_COMMA, T_CMP, T_STR, T_NAME,
                T_WORD };

struct tok {
    int kind, op;
    size_t off, len;  /* the raw bytes in the expression */
    cs_str text;      /* T_STR, T_NAME: unescaped, in the arena; T_WORD:
                         the same bytes as the raw ones, in the arena */
};

struct parser {
    const char *expr;
    size_t elen;
    const cs_str *header;
    size_t ncols;
    cs_filter *f;
    size_t nnodes, nlits, alen, cap;
    size_t pos;            /* lexer offset in expr */
    struct tok tok, prev;  /* current and previous token */
    int depth;             /* open parentheses */
    cs_error *err;
};

/* Up to QMAX bytes of the raw token, for "%.*s". */
#define TOKQ(p, t) (int)((t).len > QMAX ? QMAX : (t).len), (p)->expr + (t).off
#define STRQ(s) (int)((s).len > QMAX ? QMAX : (s).len), (s).ptr

static int fail(struct parser *p, int code, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(struct parser *p, int code, size_t off, const char *fmt, ...)
{
    char msg[sizeof p->err->msg];
    cs_pos pos = { "expression", 1, (unsigned long)off + 1 };
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return cs_error_at(p->err, code, pos, "%s", msg);
}

static int is_blank(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
           c == '\v';
}

static int ends_word(int c)
{
    return is_blank(c) || c == '(' || c == ')' || c == ',' || c == '=' ||
           c == '!' || c == '<' || c == '>' || c == '\'' || c == '"' ||
           c == '`';
}

/* Copy text into the arena, which is as long as the expression: every
 * byte stored there comes from a distinct byte of it. */
static cs_str stash(struct parser *p, const char *s, size_t n)
{
    char *dst = p->f->arena + p->alen;

    memcpy(dst, s, n);
    p->alen += n;
    return (cs_str){ dst, n };
}

static int lex_quoted(struct parser *p, size_t *i)
{
    const char *s = p->expr;
    char q = s[*i], *dst = p->f->arena + p->alen;
    size_t start = *i, j, k = 0;

    for (j = start + 1;; j++) {
        if (j == p->elen)
            return fail(p, CS_EPARSE, start, q == '`' ?
                        "unterminated column name: no closing %c" :
                        "unterminated string: no closing %c", q);
        if (s[j] == q) {
            if (s[j + 1] != q)
                break;
            j++;  /* a doubled quote stands for one */
        }
        dst[k++] = s[j];
    }
    *i = j + 1;
    p->alen += k;
    p->tok.kind = q == '`' ? T_NAME : T_STR;
    p->tok.text = (cs_str){ dst, k };
    return CS_OK;
}

static int lex(struct parser *p)
{
    const char *s = p->expr;
    struct tok *t = &p->tok;
    size_t i = p->pos;
    int rc = CS_OK;

    p->prev = *t;
    while (i < p->elen && is_blank((unsigned char)s[i]))
        i++;
    t->off = i;
    t->op = 0;
    t->text = (cs_str){ s + i, 0 };
    if (i == p->elen) {
        t->kind = T_END;
        t->len = 0;
        return CS_OK;
    }
    /* s is NUL-terminated, so looking at s[i + 1] is always safe. */
    switch (s[i]) {
    case '(': t->kind = T_LP; i++; break;
    case ')': t->kind = T_RP; i++; break;
    case ',': t->kind = T_COMMA; i++; break;
    case '=':
        t->kind = T_CMP;
        t->op = OP_EQ;
        i += s[i + 1] == '=' ? 2 : 1;
        break;
    case '!':
        if (s[i + 1] != '=')
            return fail(p, CS_EPARSE, i,
                        "unexpected \"!\"; write \"!=\" or \"not\"");
        t->kind = T_CMP;
        t->op = OP_NE;
        i += 2;
        break;
    case '<':
        t->kind = T_CMP;
        t->op = s[i + 1] == '=' ? OP_LE : s[i + 1] == '>' ? OP_NE : OP_LT;
        i += t->op == OP_LT ? 1 : 2;
        break;
    case '>':
        t->kind = T_CMP;
        t->op = s[i + 1] == '=' ? OP_GE : OP_GT;
        i += t->op == OP_GT ? 1 : 2;
        break;
    case '\'': case '"': case '`':
        rc = lex_quoted(p, &i);
        break;
    default:
        while (i < p->elen && !ends_word((unsigned char)s[i]))
            i++;
        t->kind = T_WORD;
        t->text = stash(p, s + t->off, i - t->off);
        break;
    }
    t->len = i - t->off;
    p->pos = i;
    return rc;
}

static int kw(const struct tok *t, const char *word)
{
    return t->kind == T_WORD && cs_str_ieq(t->text, word);
}

/* Words that are keywords wherever a condition or value is expected. */
static int reserved(const struct tok *t)
{
    return kw(t, "and") || kw(t, "or") || kw(t, "not") || kw(t, "in") ||
           kw(t, "is");
}

/* ---- compile-time helpers ------------------------------------------- */

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int str_ieq(cs_str a, cs_str b)
{
    if (a.len != b.len)
        return 0;
    for (size_t i = 0; i < a.len; i++)
        if (lower((unsigned char)a.ptr[i]) != lower((unsigned char)b.ptr[i]))
            return 0;
    return 1;
}

/* Case-insensitive Levenshtein distance for names up to 64 bytes (longer
 * ones get no suggestion: SIZE_MAX). */
static size_t distance(cs_str a, cs_str b)
{
    size_t row[65], i, j;

    if (a.len > 64 || b.len > 64)
        return SIZE_MAX;
    for (j = 0; j <= b.len; j++)
        row[j] = j;
    for (i = 1; i <= a.len; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (j = 1; j <= b.len; j++) {
            size_t up = row[j], best;
            best = diag + (lower((unsigned char)a.ptr[i - 1]) !=
                           lower((unsigned char)b.ptr[j - 1]));
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            diag = up;
            row[j] = best;
        }
    }
    return row[b.len];
}

static int resolve(struct parser *p, const struct tok *t, size_t *out)
{
    cs_str want = cs_str_trim(t->text), best = { NULL, 0 };
    size_t found = NONE, bestd = SIZE_MAX;

    if (want.len == 0)
        return fail(p, CS_EPARSE, t->off, "empty column name");
    for (size_t i = 0; i < p->ncols; i++) {
        cs_str h = cs_str_trim(p->header[i]);
        size_t d;
        if (str_ieq(h, want)) {
            if (found != NONE)
                return fail(p, CS_EUSAGE, t->off, "column \"%.*s\" is "
                            "ambiguous: it appears twice in the header",
                            STRQ(want));
            found = i;
        } else if ((d = distance(h, want)) < bestd) {
            bestd = d;
            best = h;
        }
    }
    if (found != NONE) {
        *out = found;
        return CS_OK;
    }
    /* Suggest only a near miss: one edit for short names, two for long. */
    if (bestd < want.len && bestd <= (want.len >= 6 ? 2u : 1u))
        return fail(p, CS_EUSAGE, t->off,
                    "unknown column \"%.*s\" (did you mean \"%.*s\"?)",
                    STRQ(want), STRQ(best));
    return fail(p, CS_EUSAGE, t->off, "unknown column \"%.*s\"", STRQ(want));
}

static int64_t wall_seconds(const cs_datetime *t)
{
    return (int64_t)cs_days_from_civil(t->year, t->month, t->day) * 86400 +
           t->hour * 3600 + t->min * 60 + t->sec;
}

/* Every way a value can be read, worked out once. */
static void classify(struct lit *l, cs_str text)
{
    cs_datetime t;
    int b;

    memset(l, 0, sizeof *l);
    l->text = cs_str_trim(text);
    l->is_num = cs_parse_decimal(l->text, &l->num) == 0;
    if (cs_parse_bool(l->text, &b) == 0) {
        l->is_bool = 1;
        l->bval = (unsigned char)b;
    }
    if (cs_parse_datetime(l->text, &t, NULL) == 0) {
        l->is_time = 1;
        l->has_tz = (unsigned char)t.has_tz;
        l->wall = wall_seconds(&t);
        l->epoch = cs_datetime_epoch(&t);
    }
}

static int new_lit(struct parser *p, const struct tok *t, size_t *out)
{
    struct lit *l;

    assert(p->nlits < p->cap);
    if (cs_is_missing(t->text))
        return fail(p, CS_EPARSE, t->off, "a missing value (empty, NA, N/A) "
                    "never matches; use \"is empty\" or \"is not empty\"");
    l = &p->f->lits[p->nlits];
    classify(l, t->text);
    *out = p->nlits++;
    return CS_OK;
}

static size_t new_node(struct parser *p, int kind)
{
    struct node *n;

    assert(p->nnodes < p->cap);  /* each node consumes at least one token */
    n = &p->f->nodes[p->nnodes];
    memset(n, 0, sizeof *n);
    n->kind = (unsigned char)kind;
    n->next = NONE;
    return p->nnodes++;
}

/* ---- parser ------------------------------------------------------------ */

static int parse_junction(struct parser *p, int is_or, size_t *out);

/* A comparison side: a back-quoted name is a column, a quoted string a
 * value, and a bare word that reads as a number or a time a value. Any
 * other bare word is a column on the left, and on the right a value (so
 * `sex = F` never looks for a column F) unless the left side was a value
 * (so `40 < age` and `'soccer' = sport` work): one side must be a
 * column. */
struct operand {
    int is_col;
    size_t idx;
    struct tok tok;
};

static int looks_like_value(cs_str s)
{
    double d;
    cs_datetime t;

    return cs_parse_decimal(s, &d) == 0 ||
           cs_parse_datetime(s, &t, NULL) == 0;
}

static int parse_left(struct parser *p, struct operand *o)
{
    const struct tok *t = &p->tok;

    o->tok = *t;
    switch (t->kind) {
    case T_NAME:
        o->is_col = 1;
        return resolve(p, t, &o->idx);
    case T_STR:
        o->is_col = 0;
        return new_lit(p, t, &o->idx);
    case T_WORD:
        if (reserved(t))
            return fail(p, CS_EPARSE, t->off, "unexpected \"%.*s\"",
                        TOKQ(p, *t));
        o->is_col = !looks_like_value(t->text);
        return o->is_col ? resolve(p, t, &o->idx) : new_lit(p, t, &o->idx);
    case T_END:
        if (p->prev.kind == T_NONE)
            return fail(p, CS_EPARSE, 0, "empty expression");
        return fail(p, CS_EPARSE, t->off, "expected a condition after "
                    "\"%.*s\"", TOKQ(p, p->prev));
    case T_RP:
        if (p->depth == 0)
            return fail(p, CS_EPARSE, t->off, "unbalanced parenthesis: "
                        "\")\" without \"(\"");
        break;
    case T_CMP:
        if (p->prev.kind == T_NONE)
            return fail(p, CS_EPARSE, t->off, "expected a column name "
                        "before \"%.*s\"", TOKQ(p, *t));
        break;
    default:
        break;
    }
    if (p->prev.kind == T_NONE)
        return fail(p, CS_EPARSE, t->off, "unexpected \"%.*s\"",
                    TOKQ(p, *t));
    return fail(p, CS_EPARSE, t->off, "expected a condition after \"%.*s\"",
                TOKQ(p, p->prev));
}

static int parse_right(struct parser *p, const struct operand *left,
                       struct operand *o, const struct tok *optok)
{
    const struct tok *t = &p->tok;

    o->tok = *t;
    o->is_col = t->kind == T_NAME ||
                (t->kind == T_WORD && !left->is_col && !reserved(t) &&
                 !looks_like_value(t->text));
    if (o->is_col)
        return resolve(p, t, &o->idx);
    if (t->kind == T_STR || (t->kind == T_WORD && !reserved(t)))
        return new_lit(p, t, &o->idx);
    return fail(p, CS_EPARSE, t->off, "expected a %s after \"%.*s\"",
                left->is_col ? "value" : "column name", TOKQ(p, *optok));
}

static int mirror(int op)
{
    switch (op) {
    case OP_LT: return OP_GT;
    case OP_LE: return OP_GE;
    case OP_GT: return OP_LT;
    case OP_GE: return OP_LE;
    default: return op;
    }
}

static int parse_compare(struct parser *p, const struct operand *left,
                         size_t *out)
{
    struct tok optok = p->tok;
    struct operand right;
    struct node *n;
    int rc;

    if ((rc = lex(p)) < 0 || (rc = parse_right(p, left, &right, &optok)) < 0 ||
        (rc = lex(p)) < 0)
        return rc;
    if (!left->is_col && !right.is_col)
        return fail(p, CS_EPARSE, left->tok.off, "no column in this "
                    "comparison: write the column name on the left, or in "
                    "backquotes");
    *out = new_node(p, left->is_col && right.is_col ? N_CMP_COLS : N_CMP);
    n = &p->f->nodes[*out];
    n->op = (unsigned char)optok.op;
    if (left->is_col) {
        n->col = left->idx;
        n->arg = right.idx;
    } else {  /* 40 < age is age > 40 */
        n->col = right.idx;
        n->arg = left->idx;
        n->op = (unsigned char)mirror(optok.op);
    }
    return CS_OK;
}

/* After "in": "(" value { "," value } ")". */
static int parse_in_list(struct parser *p, const struct operand *left,
                         int negate, size_t *out)
{
    struct tok open;
    size_t first = p->nlits, lit;
    struct node *n;
    int rc;

    if ((rc = lex(p)) < 0)
        return rc;
    if (p->tok.kind != T_LP)
        return fail(p, CS_EPARSE, p->tok.off, "expected \"(\" after \"%.*s\"",
                    TOKQ(p, p->prev));
    open = p->tok;
    for (;;) {
        if ((rc = lex(p)) < 0)
            return rc;
        if (p->tok.kind == T_END)
            return fail(p, CS_EPARSE, open.off, "unbalanced parenthesis: "
                        "this \"(\" is not closed");
        if (p->tok.kind != T_STR &&
            (p->tok.kind != T_WORD || reserved(&p->tok)))
            return fail(p, CS_EPARSE, p->tok.off, "expected a value after "
                        "\"%.*s\"", TOKQ(p, p->prev));
        if ((rc = new_lit(p, &p->tok, &lit)) < 0 || (rc = lex(p)) < 0)
            return rc;
        if (p->tok.kind == T_RP)
            break;
        if (p->tok.kind == T_END)
            return fail(p, CS_EPARSE, open.off, "unbalanced parenthesis: "
                        "this \"(\" is not closed");
        if (p->tok.kind != T_COMMA)
            return fail(p, CS_EPARSE, p->tok.off, "expected \",\" or \")\" "
                        "in the list, got \"%.*s\"", TOKQ(p, p->tok));
    }
    *out = new_node(p, N_IN);
    n = &p->f->nodes[*out];
    n->col = left->idx;
    n->arg = first;
    n->count = p->nlits - first;
    n->negate = (unsigned char)negate;
    return lex(p);
}

static int need_column(struct parser *p, const struct operand *left,
                       const struct tok *kwtok)
{
    if (left->is_col)
        return CS_OK;
    return fail(p, CS_EPARSE, left->tok.off, "expected a column name "
                "before \"%.*s\"", TOKQ(p, *kwtok));
}

static int parse_condition(struct parser *p, size_t *out)
{
    struct operand left;
    struct tok kwtok;
    int rc, negate = 0;

    if ((rc = parse_left(p, &left)) < 0 || (rc = lex(p)) < 0)
        return rc;
    if (p->tok.kind == T_CMP)
        return parse_compare(p, &left, out);
    kwtok = p->tok;
    if (kw(&p->tok, "not")) {
        if ((rc = need_column(p, &left, &kwtok)) < 0 || (rc = lex(p)) < 0)
            return rc;
        if (!kw(&p->tok, "in"))
            return fail(p, CS_EPARSE, p->tok.off,
                        "expected \"in\" after \"not\"");
        return parse_in_list(p, &left, 1, out);
    }
    if (kw(&p->tok, "in")) {
        if ((rc = need_column(p, &left, &kwtok)) < 0)
            return rc;
        return parse_in_list(p, &left, 0, out);
    }
    if (kw(&p->tok, "is")) {
        if ((rc = need_column(p, &left, &kwtok)) < 0 || (rc = lex(p)) < 0)
            return rc;
        if (kw(&p->tok, "not")) {
            negate = 1;
            if ((rc = lex(p)) < 0)
                return rc;
        }
        if (!kw(&p->tok, "empty"))
            return fail(p, CS_EPARSE, p->tok.off, "expected \"empty\" or "
                        "\"not empty\" after \"is\"");
        *out = new_node(p, N_EMPTY);
        p->f->nodes[*out].col = left.idx;
        p->f->nodes[*out].negate = (unsigned char)negate;
        return lex(p);
    }
    return fail(p, CS_EPARSE, p->tok.off, "expected an operator (=, !=, <, "
                "<=, >, >=, in, is) after \"%.*s\"", TOKQ(p, left.tok));
}

static int parse_primary(struct parser *p, size_t *out)
{
    struct tok open = p->tok;
    int rc;

    if (open.kind != T_LP)
        return parse_condition(p, out);
    if (++p->depth > CS_FILTER_DEPTH_MAX)
        return fail(p, CS_ELIMIT, open.off, "parentheses nested more than "
                    "%d deep", CS_FILTER_DEPTH_MAX);
    if ((rc = lex(p)) < 0 || (rc = parse_junction(p, 1, out)) < 0)
        return rc;
    if (p->tok.kind == T_END)
        return fail(p, CS_EPARSE, open.off, "unbalanced parenthesis: this "
                    "\"(\" is not closed");
    if (p->tok.kind != T_RP)
        return fail(p, CS_EPARSE, p->tok.off, "unexpected \"%.*s\"; expected "
                    "\"and\", \"or\" or \")\"", TOKQ(p, p->tok));
    p->depth--;
    return lex(p);
}

/* not not x is x in three-valued logic too, so a run of nots is counted
 * rather than nested: a long run cannot exhaust the stack. */
static int parse_neg(struct parser *p, size_t *out)
{
    size_t nots = 0, child;
    int rc;

    while (kw(&p->tok, "not")) {
        nots++;
        if ((rc = lex(p)) < 0)
            return rc;
    }
    if ((rc = parse_primary(p, &child)) < 0)
        return rc;
    if (nots % 2 == 0) {
        *out = child;
        return CS_OK;
    }
    *out = new_node(p, N_NOT);
    p->f->nodes[*out].arg = child;
    return CS_OK;
}

/* A chain of "or" (or of "and") becomes one node with a list of children
 * rather than a left-leaning tree, so matching recurses only as deep as
 * the parentheses, which are capped. */
static int parse_junction(struct parser *p, int is_or, size_t *out)
{
    const char *word = is_or ? "or" : "and";
    size_t first, last, child;
    int rc;

    rc = is_or ? parse_junction(p, 0, &first) : parse_neg(p, &first);
    if (rc < 0)
        return rc;
    if (!kw(&p->tok, word)) {
        *out = first;
        return CS_OK;
    }
    *out = new_node(p, is_or ? N_OR : N_AND);
    p->f->nodes[*out].arg = first;
    last = first;
    while (kw(&p->tok, word)) {
        if ((rc = lex(p)) < 0)
            return rc;
        rc = is_or ? parse_junction(p, 0, &child) : parse_neg(p, &child);
        if (rc < 0)
            return rc;
        p->f->nodes[last].next = child;
        last = child;
    }
    return CS_OK;
}

static int parse(struct parser *p)
{
    int rc;

    if ((rc = lex(p)) < 0)
        return rc;
    if (p->tok.kind == T_END)
        return fail(p, CS_EPARSE, 0, "empty expression");
    if ((rc = parse_junction(p, 1, &p->f->root)) < 0)
        return rc;
    if (p->tok.kind == T_RP)
        return fail(p, CS_EPARSE, p->tok.off, "unbalanced parenthesis: "
                    "\")\" without \"(\"");
    if (p->tok.kind != T_END)
        return fail(p, CS_EPARSE, p->tok.off, "unexpected \"%.*s\"; expected "
                    "\"and\", \"or\" or the end", TOKQ(p, p->tok));
    return CS_OK;
}

static void shrink(void **block, size_t size)
{
    void *p = realloc(*block, size ? size : 1);

    if (p)
        *block = p;
}

int cs_filter_compile(cs_filter **out, const char *expr, const cs_str *header,
                      size_t ncols, cs_error *err)
{
    struct parser p;
    cs_filter *f;
    size_t n;
    int rc;

    assert(out && expr && (header || ncols == 0));
    *out = NULL;
    n = strlen(expr);
    memset(&p, 0, sizeof p);
    p.expr = expr;
    p.elen = n;
    p.header = header;
    p.ncols = ncols;
    p.err = err;
    p.tok.kind = T_NONE;
    /* Every node and literal consumes at least one byte of the
     * expression, so its length bounds all three arrays and parsing never
     * has to grow them. */
    p.cap = n + 1;
    if (p.cap > SIZE_MAX / sizeof(struct lit))
        return cs_error_set(err, CS_ELIMIT, "expression too long");
    f = calloc(1, sizeof *f);
    if (f) {
        f->nodes = malloc(p.cap * sizeof *f->nodes);
        f->lits = malloc(p.cap * sizeof *f->lits);
        f->arena = malloc(p.cap);
    }
    if (!f || !f->nodes || !f->lits || !f->arena) {
        cs_filter_free(f);
        return cs_error_set(err, CS_ENOMEM,
                            "out of memory compiling the expression");
    }
    p.f = f;
    if ((rc = parse(&p)) < 0) {
        cs_filter_free(f);
        return rc;
    }
    /* Give back what the bound over-reserved; if the system cannot shrink
     * a block in place, keeping the larger one is fine. The arena stays:
     * the literals point into it. */
    shrink((void **)&f->nodes, p.nnodes * sizeof *f->nodes);
    shrink((void **)&f->lits, p.nlits * sizeof *f->lits);
    *out = f;
    return CS_OK;
}

void cs_filter_free(cs_filter *f)
{
    if (!f)
        return;
    free(f->nodes);
    free(f->lits);
    free(f->arena);
    free(f);
}

/* ---- matching ---------------------------------------------------------- */

static int text_cmp(cs_str a, cs_str b)
{
    int c = memcmp(a.ptr, b.ptr, a.len < b.len ? a.len : b.len);

    if (c)
        return c < 0 ? -1 : 1;
    return (a.len > b.len) - (a.len < b.len);
}

/* Compare a trimmed, present field with a literal: -1, 0 or 1. eq says
 * only equality is asked, which is all booleans support. */
static int compare(cs_str s, const struct lit *l, int eq)
{
    double d;
    int b;
    cs_datetime t;

    if (l->is_num && cs_parse_decimal(s, &d) == 0)
        return (d > l->num) - (d < l->num);
    if (eq && l->is_bool && cs_parse_bool(s, &b) == 0)
        return b != l->bval;
    if (l->is_time && cs_parse_datetime(s, &t, NULL) == 0) {
        /* Instants only when both sides name their zone; a time without
         * one is a wall-clock reading and is compared as written. */
        int64_t x = t.has_tz && l->has_tz ? cs_datetime_epoch(&t)
                                          : wall_seconds(&t);
        int64_t y = t.has_tz && l->has_tz ? l->epoch : l->wall;
        return (x > y) - (x < y);
    }
    return text_cmp(s, l->text);
}

static int holds(int op, int c)
{
    switch (op) {
    case OP_EQ: return c == 0;
    case OP_NE: return c != 0;
    case OP_LT: return c < 0;
    case OP_LE: return c <= 0;
    case OP_GT: return c > 0;
    default: return c >= 0;
    }
}

/* The trimmed field, or a NULL pointer when it is missing. */
static cs_str field(const cs_str *fields, size_t nfields, size_t col)
{
    cs_str s = { NULL, 0 };

    if (col < nfields) {
        s = cs_str_trim(fields[col]);
        if (cs_is_missing(s))
            s.ptr = NULL;
    }
    return s;
}

static int eval(const cs_filter *f, size_t i, const cs_str *fields,
                size_t nfields)
{
    const struct node *n = &f->nodes[i];
    cs_str a, b;
    struct lit rhs;
    int v, r;

    switch (n->kind) {
    case N_AND:
    case N_OR:
        /* AND: false beats unknown beats true; OR the other way round. */
        r = n->kind == N_AND ? L_TRUE : L_FALSE;
        for (size_t c = n->arg; c != NONE; c = f->nodes[c].next) {
            v = eval(f, c, fields, nfields);
            if (v == (n->kind == N_AND ? L_FALSE : L_TRUE))
                return v;
            if (v == L_UNKNOWN)
                r = L_UNKNOWN;
        }
        return r;
    case N_NOT:
        v = eval(f, n->arg, fields, nfields);
        return v == L_UNKNOWN ? L_UNKNOWN : !v;
    case N_EMPTY:
        a = field(fields, nfields, n->col);
        return (a.ptr == NULL) != n->negate;
    case N_CMP:
        a = field(fields, nfields, n->col);
        if (!a.ptr)
            return L_UNKNOWN;
        return holds(n->op, compare(a, &f->lits[n->arg],
                                    n->op == OP_EQ || n->op == OP_NE));
    case N_CMP_COLS:
        a = field(fields, nfields, n->col);
        b = field(fields, nfields, n->arg);
        if (!a.ptr || !b.ptr)
            return L_UNKNOWN;
        classify(&rhs, b);  /* no allocation: a few parses on the stack */
        return holds(n->op, compare(a, &rhs,
                                    n->op == OP_EQ || n->op == OP_NE));
    case N_IN:
        a = field(fields, nfields, n->col);
        if (!a.ptr)
            return L_UNKNOWN;
        for (size_t k = 0; k < n->count; k++)
            if (compare(a, &f->lits[n->arg + k], 1) == 0)
                return !n->negate;
        return n->negate;
    }
    assert(0 && "unknown node kind");
    return L_FALSE;
}

int cs_filter_match(const cs_filter *f, const cs_str *fields, size_t nfields,
                    cs_error *err)
{
    (void)err;
    assert(f && (fields || nfields == 0));
    return eval(f, f->root, fields, nfields) == L_TRUE;
}
