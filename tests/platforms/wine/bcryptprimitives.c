/* For the Wine tests only (tests/platforms/windows.test.ts): Rust's standard library takes its random
 * numbers from ProcessPrng in bcryptprimitives.dll, which every Windows 10 and later has but Debian's
 * Wine 8.0 does not. The test puts this DLL beside the sidecar; it answers from RtlGenRandom. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
    while (length > 0) {
        ULONG n = length > 0x10000000 ? 0x10000000 : (ULONG)length;
        if (!SystemFunction036(data, n)) return FALSE;
        data += n;
        length -= n;
    }
    return TRUE;
}
