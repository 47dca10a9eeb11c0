#pragma once
#include "../../CNcurses/shim.h"
