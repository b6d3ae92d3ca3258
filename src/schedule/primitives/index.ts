// Each family attaches its primitives to Schedule and registers its instruction kinds.
import "./get.js";
