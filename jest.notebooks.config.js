/** The lessons end to end (`npm run test:notebooks`): tests/notebooks/ with `npm test`'s settings (jest.config.js). */
const base = require('./jest.config');

module.exports = { ...base, roots: ['<rootDir>/tests/notebooks'], testPathIgnorePatterns: ['/node_modules/'] };
