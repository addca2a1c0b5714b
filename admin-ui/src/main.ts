/** The admin UI's entry: registers every element; index.html renders <sy-app>. */
import './components/sy-trend/sy-trend.js';
import './components/sy-gate-list/sy-gate-list.js';
import './components/sy-stage-stepper/sy-stage-stepper.js';
import './components/sy-audit-list/sy-audit-list.js';
import './components/sy-action-dialog/sy-action-dialog.js';
import './components/sy-plan-editor/sy-plan-editor.js';
import './components/sy-plan-summary/sy-plan-summary.js';
import './components/sy-flag-header/sy-flag-header.js';
import './components/sy-sign-in/sy-sign-in.js';
import './components/sy-create-flag/sy-create-flag.js';
import './components/sy-flag-list/sy-flag-list.js';
import './components/sy-flag-page/sy-flag-page.js';
import './components/sy-audit-page/sy-audit-page.js';
import './components/sy-sdk-keys/sy-sdk-keys.js';
import './components/sy-app/sy-app.js';
