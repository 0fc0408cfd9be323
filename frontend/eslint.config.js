import js from '@eslint/js'
import pluginVue from 'eslint-plugin-vue'
import eslintConfigPrettier from 'eslint-config-prettier/flat'
import globals from 'globals'

export default [
  { ignores: ['dist/**', 'coverage/**'] },
  js.configs.recommended,
  ...pluginVue.configs['flat/recommended'],
  {
    languageOptions: {
      ecmaVersion: 'latest',
      sourceType: 'module',
      globals: { ...globals.browser },
    },
  },
  {
    // Build config, scripts and tests run in Node.
    files: ['*.js', 'scripts/**', 'src/**/__tests__/**'],
    languageOptions: { globals: { ...globals.node } },
  },
  // Prettier owns the layout: turn off the rules that would fight it.
  eslintConfigPrettier,
]
