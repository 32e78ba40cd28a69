/*
 * Sparse DNN Graph Challenge inference with SuiteSparse:GraphBLAS, the baseline the CPU engine
 * is measured against. Reads the official TSV layout (1-based "row<TAB>col<TAB>value" lines):
 *   <layers-dir>/n<N>-l<k>.tsv for k = 1..L, and an image file "image<TAB>pixel<TAB>value".
 * Per layer, in float32:  Y = Y * W (PLUS_TIMES);  Y = Y + bias on Y's entries;  keep Y > 0;
 * Y = min(Y, 32). The bias is the challenge's one constant, added to the stored entries of Y*W
 * (with the challenge's nonnegative weights and inputs these are exactly its nonzeros).
 * Only the layer loop is timed; it runs --repeat times and the median is reported. Prints one
 * JSON line and optionally writes the categories (1-based rows of Y with any entry), one per line.
 */
#include <GraphBLAS.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHECK(call)                                                                      \
    do {                                                                                 \
        GrB_Info info_ = (call);                                                         \
        if (info_ != GrB_SUCCESS) {                                                      \
            fprintf(stderr, "%s:%d: GraphBLAS error %d in %s\n", __FILE__, __LINE__,     \
                    (int)info_, #call);                                                  \
            exit(3);                                                                     \
        }                                                                                \
    } while (0)

typedef struct {
    GrB_Index *rows, *cols;
    float *values;
    size_t count, capacity;
    GrB_Index max_row;
} Triples;

static void fail(const char *file, size_t line, const char *reason) {
    if (line) fprintf(stderr, "%s:%zu: %s\n", file, line, reason);
    else fprintf(stderr, "%s: %s\n", file, reason);
    exit(2);
}

static char *read_all(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) fail(path, 0, strerror(errno));
    if (fseek(f, 0, SEEK_END) != 0) fail(path, 0, "cannot seek");
    long length = ftell(f);
    rewind(f);
    char *data = malloc((size_t)length + 1);
    if (!data) fail(path, 0, "out of memory");
    if (fread(data, 1, (size_t)length, f) != (size_t)length) fail(path, 0, "short read");
    fclose(f);
    data[length] = '\0';
    *size = (size_t)length;
    return data;
}

static GrB_Index parse_index(char **p, const char *path, size_t line) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(*p, &end, 10);
    if (end == *p || errno || v == 0) fail(path, line, "expected a 1-based index");
    *p = end;
    return (GrB_Index)(v - 1);
}

/* Reads "a<TAB>b<TAB>value" lines; a must be < rows_limit (0: any), b < cols. */
static void read_triples(const char *path, GrB_Index rows_limit, GrB_Index cols, Triples *t) {
    size_t size;
    char *data = read_all(path, &size);
    t->count = 0;
    t->max_row = 0;
    size_t line = 0;
    char *p = data, *stop = data + size;
    while (p < stop) {
        line++;
        if (*p == '\n') { p++; continue; }
        if (t->count == t->capacity) {
            t->capacity = t->capacity ? t->capacity * 2 : (1 << 20);
            t->rows = realloc(t->rows, t->capacity * sizeof(GrB_Index));
            t->cols = realloc(t->cols, t->capacity * sizeof(GrB_Index));
            t->values = realloc(t->values, t->capacity * sizeof(float));
            if (!t->rows || !t->cols || !t->values) fail(path, line, "out of memory");
        }
        GrB_Index r = parse_index(&p, path, line);
        GrB_Index c = parse_index(&p, path, line);
        char *end;
        float v = strtof(p, &end);
        if (end == p) fail(path, line, "expected a value");
        p = end;
        while (p < stop && (*p == ' ' || *p == '\t' || *p == '\r')) p++;
        if (p < stop && *p != '\n') fail(path, line, "trailing characters");
        if ((rows_limit && r >= rows_limit) || c >= cols) fail(path, line, "index out of range");
        if (r > t->max_row) t->max_row = r;
        t->rows[t->count] = r;
        t->cols[t->count] = c;
        t->values[t->count] = v;
        t->count++;
    }
    free(data);
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void usage(void) {
    fprintf(stderr,
            "usage: spdnn_graphblas --layers-dir DIR --neurons N --layers L --images FILE --bias B\n"
            "                       [--image-count M] [--threads T] [--repeat R] [--categories-out FILE]\n");
    exit(2);
}

int main(int argc, char **argv) {
    const char *dir = NULL, *images_path = NULL, *categories_path = NULL;
    long neurons = 0, layers = 0, threads = 0, repeat = 1, image_count = 0;
    double bias = 0;
    int have_bias = 0;
    for (int a = 1; a < argc; a++) {
        if (a + 1 >= argc) usage();
        if (!strcmp(argv[a], "--layers-dir")) dir = argv[++a];
        else if (!strcmp(argv[a], "--neurons")) neurons = atol(argv[++a]);
        else if (!strcmp(argv[a], "--layers")) layers = atol(argv[++a]);
        else if (!strcmp(argv[a], "--images")) images_path = argv[++a];
        else if (!strcmp(argv[a], "--image-count")) image_count = atol(argv[++a]);
        else if (!strcmp(argv[a], "--bias")) { bias = atof(argv[++a]); have_bias = 1; }
        else if (!strcmp(argv[a], "--threads")) threads = atol(argv[++a]);
        else if (!strcmp(argv[a], "--repeat")) repeat = atol(argv[++a]);
        else if (!strcmp(argv[a], "--categories-out")) categories_path = argv[++a];
        else usage();
    }
    if (!dir || !images_path || neurons <= 0 || layers <= 0 || !have_bias || repeat < 1) usage();

    CHECK(GrB_init(GrB_NONBLOCKING));
    if (threads > 0) CHECK(GxB_Global_Option_set(GxB_GLOBAL_NTHREADS, (int)threads));
    int used_threads = 0;
    CHECK(GxB_Global_Option_get(GxB_GLOBAL_NTHREADS, &used_threads));

    Triples t = {0};
    double load_start = now();
    GrB_Matrix *w = calloc((size_t)layers, sizeof(GrB_Matrix));
    GrB_Index weights = 0;
    char path[4096];
    for (long k = 0; k < layers; k++) {
        snprintf(path, sizeof path, "%s/n%ld-l%ld.tsv", dir, neurons, k + 1);
        read_triples(path, (GrB_Index)neurons, (GrB_Index)neurons, &t);
        CHECK(GrB_Matrix_new(&w[k], GrB_FP32, (GrB_Index)neurons, (GrB_Index)neurons));
        CHECK(GrB_Matrix_build_FP32(w[k], t.rows, t.cols, t.values, t.count, GrB_PLUS_FP32));
        CHECK(GrB_Matrix_wait(w[k], GrB_MATERIALIZE));
        weights += t.count;
    }
    read_triples(images_path, 0, (GrB_Index)neurons, &t);
    GrB_Index images = image_count > 0 ? (GrB_Index)image_count : t.max_row + 1;
    if (t.max_row >= images) fail(images_path, 0, "image index beyond --image-count");
    GrB_Matrix y0;
    CHECK(GrB_Matrix_new(&y0, GrB_FP32, images, (GrB_Index)neurons));
    CHECK(GrB_Matrix_build_FP32(y0, t.rows, t.cols, t.values, t.count, GrB_PLUS_FP32));
    CHECK(GrB_Matrix_wait(y0, GrB_MATERIALIZE));
    free(t.rows); free(t.cols); free(t.values);
    double load_seconds = now() - load_start;

    double *samples = malloc((size_t)repeat * sizeof(double));
    GrB_Matrix y = NULL;
    for (long r = 0; r < repeat; r++) {
        if (y) GrB_Matrix_free(&y);
        CHECK(GrB_Matrix_dup(&y, y0));
        CHECK(GrB_Matrix_wait(y, GrB_MATERIALIZE));
        double start = now();
        for (long k = 0; k < layers; k++) {
            CHECK(GrB_mxm(y, NULL, NULL, GrB_PLUS_TIMES_SEMIRING_FP32, y, w[k], NULL));
            CHECK(GrB_Matrix_apply_BinaryOp2nd_FP32(y, NULL, NULL, GrB_PLUS_FP32, y, (float)bias, NULL));
            CHECK(GrB_Matrix_select_FP32(y, NULL, NULL, GrB_VALUEGT_FP32, y, 0.0f, NULL));
            CHECK(GrB_Matrix_apply_BinaryOp2nd_FP32(y, NULL, NULL, GrB_MIN_FP32, y, 32.0f, NULL));
        }
        CHECK(GrB_Matrix_wait(y, GrB_MATERIALIZE));
        samples[r] = now() - start;
    }
    double *sorted = malloc((size_t)repeat * sizeof(double));
    memcpy(sorted, samples, (size_t)repeat * sizeof(double));
    qsort(sorted, (size_t)repeat, sizeof(double), compare_doubles);
    double median = repeat % 2 ? sorted[repeat / 2] : 0.5 * (sorted[repeat / 2 - 1] + sorted[repeat / 2]);

    /* Categories: rows of Y with any entry (all stored values are positive). */
    GrB_Vector alive;
    CHECK(GrB_Vector_new(&alive, GrB_FP32, images));
    CHECK(GrB_Matrix_reduce_Monoid(alive, NULL, NULL, GrB_PLUS_MONOID_FP32, y, NULL));
    GrB_Index survivors = 0;
    CHECK(GrB_Vector_nvals(&survivors, alive));
    GrB_Index *index = malloc((survivors + 1) * sizeof(GrB_Index));
    float *value = malloc((survivors + 1) * sizeof(float));
    GrB_Index got = survivors;
    CHECK(GrB_Vector_extractTuples_FP32(index, value, &got, alive));
    if (categories_path) {
        char temp[4200];
        snprintf(temp, sizeof temp, "%s.tmp", categories_path);
        FILE *f = fopen(temp, "w");
        if (!f) fail(temp, 0, strerror(errno));
        for (GrB_Index i = 0; i < got; i++) fprintf(f, "%llu\n", (unsigned long long)index[i] + 1);
        if (fclose(f) != 0 || rename(temp, categories_path) != 0) fail(categories_path, 0, "cannot write");
    }

    int version[3] = {0, 0, 0};
    CHECK(GxB_Global_Option_get(GxB_LIBRARY_VERSION, version));
    double edges = (double)images * (double)weights;
    printf("{\"engine\":\"graphblas\",\"library\":\"SuiteSparse:GraphBLAS %d.%d.%d\",\"neurons\":%ld,\"layers\":%ld,"
           "\"images\":%llu,\"weights\":%llu,\"threads\":%d,\"repeat\":%ld,\"load_seconds\":%.6f,"
           "\"inference_seconds\":%.6f,\"teps\":%.6e,\"categories\":%llu,\"samples\":[",
           version[0], version[1], version[2], neurons, layers, (unsigned long long)images, (unsigned long long)weights,
           used_threads, repeat, load_seconds, median, edges / median, (unsigned long long)got);
    for (long r = 0; r < repeat; r++) printf("%s%.6f", r ? "," : "", samples[r]);
    printf("]}\n");
    free(samples); free(sorted);

    free(index); free(value);
    GrB_Vector_free(&alive);
    GrB_Matrix_free(&y); GrB_Matrix_free(&y0);
    for (long k = 0; k < layers; k++) GrB_Matrix_free(&w[k]);
    free(w);
    GrB_finalize();
    return 0;
}
