/* Python's object arenas on transparent huge pages.
 *
 * The router is bound by memory latency, not by instructions: a contact touches agent records, index lines
 * and timers spread over tens of megabytes of small objects, and with 4 KiB pages most of those touches
 * also miss the TLB. pymalloc takes its arenas (1 MiB each on 64-bit CPython 3.11) from mmap one by one,
 * which the kernel backs with 4 KiB pages unless asked otherwise. Here arenas are cut from 64 MiB regions
 * aligned to 2 MiB and marked MADV_HUGEPAGE, so the kernel backs them with 2 MiB pages where it can.
 *
 * Arenas pymalloc frees are kept for reuse rather than unmapped (memory is not handed back to the system
 * while the process runs: a server's heap stays at its high-water mark). Arenas made before `install`, and
 * any request of another size, go to the allocator that was in place. Called with the GIL held, as every
 * arena allocator is.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <sys/mman.h>

#define HUGE_PAGE ((size_t)2 << 20)
#define REGION ((size_t)64 << 20)
#define MAX_REGIONS 1024 /* 64 GiB of arenas */

static PyObjectArenaAllocator previous;
static int installed;
static char *regions[MAX_REGIONS];
static size_t region_count;
static char *next_free, *region_end;
static size_t arena_size;  /* the size pymalloc asks for, learnt from its first request */
static void *freed;        /* freed arenas: each one's first word points to the next */
static size_t arenas_made; /* arenas cut from the regions */

static int in_regions(const void *pointer) {
    for (size_t i = 0; i < region_count; i++) {
        if ((const char *)pointer >= regions[i] && (const char *)pointer < regions[i] + REGION) return 1;
    }
    return 0;
}

static int add_region(void) {
#ifdef MADV_HUGEPAGE
    if (region_count == MAX_REGIONS) return 0;
    size_t reserved = REGION + HUGE_PAGE;
    char *raw = mmap(NULL, reserved, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                     -1, 0);
    if (raw == MAP_FAILED) return 0;
    char *start = (char *)(((uintptr_t)raw + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
    char *end = start + REGION;
    if (start > raw) munmap(raw, (size_t)(start - raw));
    if (raw + reserved > end) munmap(end, (size_t)(raw + reserved - end));
    madvise(start, REGION, MADV_HUGEPAGE);
    regions[region_count++] = start;
    next_free = start;
    region_end = end;
    return 1;
#else
    return 0;
#endif
}

static void *arena_alloc(void *context, size_t size) {
    (void)context;
    if (arena_size == 0 && size > 0 && REGION % size == 0) arena_size = size;
    if (size == arena_size) {
        if (freed != NULL) {
            void *arena = freed;
            freed = *(void **)arena;
            return arena;
        }
        if ((next_free != NULL && next_free + size <= region_end) || add_region()) {
            void *arena = next_free;
            next_free += size;
            arenas_made++;
            return arena;
        }
    }
    return previous.alloc(previous.ctx, size);
}

static void arena_free(void *context, void *pointer, size_t size) {
    (void)context;
    if (size == arena_size && in_regions(pointer)) {
        *(void **)pointer = freed;
        freed = pointer;
        return;
    }
    previous.free(previous.ctx, pointer, size);
}

static PyObject *install(PyObject *module, PyObject *unused) {
    (void)module;
    (void)unused;
#ifdef MADV_HUGEPAGE
    if (!installed) {
        PyObjectArenaAllocator ours = {NULL, arena_alloc, arena_free};
        PyObject_GetArenaAllocator(&previous);
        PyObject_SetArenaAllocator(&ours);
        installed = 1;
    }
    Py_RETURN_TRUE;
#else
    Py_RETURN_FALSE;
#endif
}

static PyObject *stats(PyObject *module, PyObject *unused) {
    (void)module;
    (void)unused;
    return Py_BuildValue("(nn)", (Py_ssize_t)arenas_made, (Py_ssize_t)region_count);
}

static PyMethodDef methods[] = {
    {"install", install, METH_NOARGS, "Take pymalloc's new arenas from huge-page regions; False if unsupported."},
    {"stats", stats, METH_NOARGS, "(arenas cut from the regions, regions mapped)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "baiying._hugepages", NULL, -1, methods};

PyMODINIT_FUNC PyInit__hugepages(void) { return PyModule_Create(&module); }
