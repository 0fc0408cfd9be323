import { globalIgnores } from 'eslint/config'
import { defineConfigWithVueTs, vueTsConfigs } from '@vue/eslint-config-typescript'
import js from '@eslint/js'
import pluginVue from 'eslint-plugin-vue'
import eslintConfigPrettier from 'eslint-config-prettier/flat'
import globals from 'globals'

export default defineConfigWithVueTs(
  {
    name: 'app/files-to-lint',
    files: ['**/*.{vue,ts,mts,tsx,js,mjs}'],
  },
  // The API types are generated from the description (make api-types).
  globalIgnores(['**/dist/**', '**/coverage/**', 'src/api-schema.d.ts']),
  js.configs.recommended,
  pluginVue.configs['flat/recommended'],
  vueTsConfigs.recommended,
  {
    languageOptions: {
      globals: { ...globals.browser },
    },
  },
  {
    // Build config, scripts and tests run in Node.
    files: ['*.ts', 'scripts/**', 'src/**/__tests__/**'],
    languageOptions: { globals: { ...globals.node } },
  },
  // Prettier owns the layout: turn off the rules that would fight it.
  eslintConfigPrettier,
)
