/** Entry of the wall display. */
import './components/vigil-wall.js';
