#ifndef TRUSTTRADE_CHIREDIS_SHIM_H
#define TRUSTTRADE_CHIREDIS_SHIM_H
#include <hiredis/hiredis.h>
#include <hiredis/read.h>
#endif
