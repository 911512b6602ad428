/* Wine 8.0 (Debian 12) has no bcryptprimitives.dll, which Rust's standard library imports
 * for ProcessPrng. This stand-in, used only in the wine prefix that runs the Windows tests,
 * fills the buffer from RtlGenRandom (advapi32's SystemFunction036). Real Windows ships
 * the real DLL; nothing here is installed by the MSI. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x40000000 ? 0x40000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
