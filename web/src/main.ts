/** Entry of the dashboard (sign-in and app shell). */
import './components/vigil-app.js';
