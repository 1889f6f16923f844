/* kliping's compiled kernels: word shingles hashed and MinHash-signed in one pass over the text;
 * the language model's automaton walked; hostile tags looked for in a page (at the end).
 *
 * The same arithmetic as the NumPy code in kliping/syndication/shingles.py and signatures.py
 * (which stays as the reference and the fallback): a word's hash is its polynomial over the
 * code points, sum c_j * P^(len-1-j) mod 2^64 with P FNV's 64-bit prime, put through splitmix64's
 * finalizer; a shingle's is the polynomial of its words' hashes with base MULT, its top 32 bits;
 * a signature is, per permutation (a, b), the minimum of a * fmix32(h) + b mod 2^32 over the
 * shingles. Plain C with no Python API: called through ctypes on NumPy arrays' memory.
 */
#include <stdint.h>
#include <string.h>

#define P_FNV 0x100000001B3ULL
#define MULT 0x9E3779B97F4A7C15ULL

static inline uint64_t mix64(uint64_t x) {
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

/* The shingle hashes of each text t, the code points cps[starts[t] .. starts[t] + lengths[t]),
 * case-folded on the way: fold[cp] is the code point cp folds to, or, with FOLD_MANY set, the
 * index of a row of `expand` holding the (up to three, 0-padded) code points it folds to. Words
 * are the runs of folded code points that word[] marks (tables cover every code point). A text
 * of fewer words than `size` is one shingle of all its words; a text without words has none.
 * Writes the hashes to `out` (room for three per code point, plus one per text) and each text's
 * count to `counts`; `words` is scratch room for one text's word hashes (one per two folded code
 * points, plus one). Returns how many hashes were written. */
#define FOLD_MANY 0x80000000U

int64_t kl_shingle_hashes(const uint32_t *cps, const int64_t *starts, const int64_t *lengths,
                          int64_t n_texts, const uint32_t *fold, const uint32_t *expand,
                          const uint8_t *word, int64_t size, uint32_t *out, int64_t *counts,
                          uint64_t *words) {
    int64_t k = 0;
    for (int64_t t = 0; t < n_texts; t++) {
        const uint32_t *c = cps + starts[t];
        int64_t len = lengths[t], nw = 0;
        uint64_t acc = 0;
        int in_word = 0;
        for (int64_t i = 0; i < len; i++) {
            uint32_t f = fold[c[i]];
            uint32_t one[1];
            const uint32_t *seq = one;
            int n = 1;
            if (f & FOLD_MANY) {
                seq = expand + 3 * (int64_t)(f & ~FOLD_MANY);
                n = seq[2] ? 3 : (seq[1] ? 2 : 1);
            } else {
                one[0] = f;
            }
            for (int j = 0; j < n; j++) {
                uint32_t cp = seq[j];
                if (word[cp]) {
                    acc = acc * P_FNV + cp;
                    in_word = 1;
                } else if (in_word) {
                    words[nw++] = mix64(acc);
                    acc = 0;
                    in_word = 0;
                }
            }
        }
        if (in_word) words[nw++] = mix64(acc);
        if (nw == 0) {
            counts[t] = 0;
            continue;
        }
        int64_t width = nw >= size ? size : nw;
        int64_t m = nw - width + 1;
        for (int64_t w = 0; w < m; w++) {
            uint64_t h = 0;
            for (int64_t j = 0; j < width; j++) h = h * MULT + words[w + j];
            out[k++] = (uint32_t)(h >> 32);
        }
        counts[t] = m;
    }
    return k;
}

static inline uint32_t fmix32(uint32_t h) {
    h ^= h >> 16;
    h *= 0x85EBCA6BU;
    h ^= h >> 13;
    h *= 0xC2B2AE35U;
    return h ^ (h >> 16);
}

/* The MinHash signature of each document whose shingle hashes are `sizes[d]` consecutive values
 * of `hashes`: out[d][p] = min over them of a[p] * fmix32(h) + b[p] (mod 2^32); rows of
 * documents without shingles are left as the caller filled them (all 0xFFFFFFFF). */
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
__attribute__((target_clones("avx2", "default")))
#endif
void kl_sign(const uint32_t *hashes, const int64_t *sizes, int64_t n_docs, const uint32_t *a,
             const uint32_t *b, int64_t num_perm, uint32_t *out) {
    const uint32_t *h = hashes;
    for (int64_t d = 0; d < n_docs; d++) {
        uint32_t *row = out + d * num_perm;
        for (int64_t s = 0; s < sizes[d]; s++) {
            uint32_t hv = fmix32(h[s]);
            for (int64_t p = 0; p < num_perm; p++) {
                uint32_t v = a[p] * hv + b[p];
                row[p] = v < row[p] ? v : row[p];
            }
        }
        h += sizes[d];
    }
}

/* Language features: py3langid's automaton walked over each text's bytes (text t is
 * data[starts[t] .. starts[t] + lengths[t])), state = nextmove[rowbase[state] + byte] from state 0,
 * a feature wherever output[state] >= 0; each text's features and how often it meets them, in
 * the order it first meets them (py3langid's order, which its scores sum in). Texts are walked
 * WALK_LANES at a time, a step of each in turn: the automaton is 39 MB, and one text's steps
 * wait for each other's loads, while different texts' loads overlap. `feats` is scratch room
 * for one int32 a byte, `seen` for one a feature (all -1, and left so). Writes the features to
 * out_feat and their counts to out_count (room for one a byte) and each text's number of
 * distinct features to n_feats; returns how many were written. */
#define WALK_LANES 16

int64_t kl_lang_features(const uint8_t *data, const int64_t *starts, const int64_t *lengths,
                         int64_t n_texts, const int32_t *nextmove, const int64_t *rowbase,
                         const int64_t *output, int32_t *feats, int32_t *seen, int32_t *out_feat,
                         float *out_count, int64_t *n_feats) {
    for (int64_t t0 = 0; t0 < n_texts; t0 += WALK_LANES) {
        int64_t lanes = n_texts - t0 < WALK_LANES ? n_texts - t0 : WALK_LANES;
        int32_t state[WALK_LANES] = {0};
        int64_t longest = 0;
        for (int64_t j = 0; j < lanes; j++)
            if (lengths[t0 + j] > longest) longest = lengths[t0 + j];
        for (int64_t i = 0; i < longest; i++) {
            for (int64_t j = 0; j < lanes; j++) {
                int64_t t = t0 + j;
                if (i < lengths[t]) {
                    int32_t s = nextmove[rowbase[state[j]] + data[starts[t] + i]];
                    state[j] = s;
                    feats[starts[t] + i] = (int32_t)output[s];
                }
            }
        }
    }
    int64_t k = 0;
    for (int64_t t = 0; t < n_texts; t++) {
        int64_t k0 = k;
        const int32_t *f = feats + starts[t];
        for (int64_t i = 0; i < lengths[t]; i++) {
            int32_t feat = f[i];
            if (feat < 0) continue;
            if (seen[feat] < 0) {
                seen[feat] = (int32_t)(k - k0);
                out_feat[k] = feat;
                out_count[k] = 1.0f;
                k++;
            } else {
                out_count[k0 + seen[feat]] += 1.0f;
            }
        }
        for (int64_t j = k0; j < k; j++) seen[out_feat[j]] = -1;
        n_feats[t] = k - k0;
    }
    return k;
}

/* The byte offset of the first tag start from s[from] on, in the UTF-8 text s[0 .. n), that
 * `kliping.extract`'s _CROWDED_TAG matches and that may hold more than `need` attribute names,
 * or -1. The pattern: a '<' and an ASCII letter followed by at least `need` units, a unit being
 * one character other than < > " ' (its UTF-8 bytes) or a quoted run, "..." or '...', closed.
 * The units from a position are determined (each starts with a different kind of character,
 * and a quoted run ends at the next quote), so counting them greedily is what the regex's
 * lookahead does; a quote with no closing one is no unit, and ends the tag. `crowded_tag`
 * counts a tag's names as the words left once quoted runs are one letter and each =value a
 * space: more than `need` + 1 words take more than `need` separators (whitespace, which may be
 * any non-ASCII character, or '='), each a unit of the tag: so more than `need` units too. */
static inline int maybe_separator(uint8_t c) {
    return c == ' ' || c == '=' || (c >= '\t' && c <= '\r') || (c >= 0x1C && c <= 0x1F) || c >= 0x80;
}

int64_t kl_crowded_tag(const uint8_t *s, int64_t n, int64_t from, int64_t need) {
    for (int64_t i = from < 0 ? 0 : from; i + 1 < n; i++) {
        if (s[i] != '<') continue;
        uint8_t letter = s[i + 1] | 0x20;
        if (letter < 'a' || letter > 'z') continue;
        int64_t j = i + 2, separators = 0;
        while (j < n) {
            uint8_t c = s[j];
            if (c == '<' || c == '>') break;
            if (c == '"' || c == '\'') {
                const uint8_t *close = memchr(s + j + 1, c, (size_t)(n - j - 1));
                if (close == NULL) break;
                j = close - s + 1;
                continue;
            }
            if (maybe_separator(c) && ++separators > need) return i;
            j++;
            while (j < n && (s[j] & 0xC0) == 0x80) j++; /* the rest of the character */
        }
    }
    return -1;
}
