// Insights: the page is drawn on the server (its charts are SVG); this script only brings the
// header's shared behaviour (log out).
import "./soiree.js";
