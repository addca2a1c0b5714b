/** The roles and their permission sets live with the API's shapes, so the admin UI reads the same table. */
export { CAN, ROLES, isRole, type Permission, type Role } from '@switchyard-flags/sdk/api';

